import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatehouseConfig } from '@gatehouse/core';
import { migrate, startEmbeddedPostgres } from '@gatehouse/db/runtime';

/**
 * What the process needs before Nest starts: a database URL (given, or an embedded
 * PostgreSQL started here) with migrations applied, and the key-encryption key (given, or
 * generated once into the data dir with mode 0600).
 */
export interface Runtime {
  config: GatehouseConfig;
  databaseUrl: string;
  kek: Buffer;
  /** Lines worth one log line each at start (mode, stores in use). */
  notes: string[];
  stop(): Promise<void>;
}

export async function prepareRuntime(config: GatehouseConfig, opts: { migrate?: boolean } = {}): Promise<Runtime> {
  const notes: string[] = [];
  let databaseUrl: string;
  let stop = async () => undefined as void;
  if (config.database.mode === 'external') {
    databaseUrl = config.database.url;
  } else {
    // 0711: others may pass through (postgres runs as its own OS user when we are root)
    // but not list; the KEK file inside is 0600.
    mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
    chmodSync(config.dataDir, 0o711);
    const embedded = await startEmbeddedPostgres(join(config.dataDir, 'postgres'));
    databaseUrl = embedded.url;
    stop = embedded.stop;
    notes.push(
      embedded.owned
        ? `embedded PostgreSQL started, data in ${config.dataDir}/postgres`
        : `using the embedded PostgreSQL already running for ${config.dataDir}/postgres`,
    );
  }
  try {
    if (opts.migrate !== false) {
      const result = await migrate(databaseUrl);
      const applied = result.applied;
      // One short line on a first start, however many migrations there are.
      if (applied.length > 3) notes.push(`applied ${applied.length} migrations: ${applied[0]} … ${applied.at(-1)}`);
      else if (applied.length) notes.push(`applied migrations: ${applied.join(', ')}`);
    }
    const kek = config.kek ?? loadOrCreateKek(config.dataDir, notes);
    notes.push(
      config.redisUrl
        ? 'rate limits: Redis'
        : 'rate limits: in-process store (no REDIS_URL); limits are per process, not shared across instances',
    );
    return { config, databaseUrl, kek, notes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function loadOrCreateKek(dataDir: string, notes: string[]): Buffer {
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const file = join(dataDir, 'kek');
  if (existsSync(file)) {
    const kek = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (kek.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return kek;
  }
  const kek = randomBytes(32);
  writeFileSync(file, kek.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  notes.push(`generated a key-encryption key in ${file} (mode 0600); set GATEHOUSE_KEK in production`);
  return kek;
}
