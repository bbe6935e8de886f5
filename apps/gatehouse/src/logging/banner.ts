import type { GatehouseConfig } from '@gatehouse/core';
import { Client } from 'pg';

/** What the start-up banner shows (docs/reliability.md#logs). */
export interface Banner {
  /** One line per row, ready to print; the first says what runs where. */
  text: string;
  urls: { api: string; console: string; docs: string; discovery: string };
  /** Present while no administrator exists: the exact command that creates the first one. */
  first_admin_command?: string;
}

/**
 * The one start-up message a newcomer needs: where the API, the console, the API docs and
 * the discovery document are, and, while the directory has no administrator, the command
 * that creates the first one (with the environment that finds this instance's database).
 */
export function buildBanner(
  config: GatehouseConfig,
  opts: { workers: number; adminExists: boolean; cwd?: string },
): Banner {
  const base = config.issuer.replace(/\/+$/, '');
  const urls = {
    api: base,
    console: `${base}/console`,
    docs: `${base}/docs`,
    discovery: `${base}/.well-known/openid-configuration`,
  };
  const workers = opts.workers === 1 ? '1 worker' : `${opts.workers} workers`;
  const rows = [
    `Gatehouse is listening at ${urls.api} (Node ${process.version}, ${workers})`,
    `  Console      ${urls.console}`,
    `  API docs     ${urls.docs}`,
    `  Discovery    ${urls.discovery}`,
  ];
  const banner: Banner = { text: '', urls };
  if (!opts.adminExists) {
    banner.first_admin_command = firstAdminCommand(config, opts.cwd ?? process.cwd());
    rows.push(`  No administrator yet; create the first one with: ${banner.first_admin_command}`);
  }
  banner.text = rows.join('\n');
  return banner;
}

function firstAdminCommand(config: GatehouseConfig, cwd: string): string {
  // The CLI finds the embedded database through GATEHOUSE_DATA_DIR (default ./.gatehouse);
  // with DATABASE_URL it needs the server's environment, which the operator already has.
  const env =
    config.database.mode === 'embedded' && config.dataDir !== `${cwd}/.gatehouse`
      ? `GATEHOUSE_DATA_DIR=${shellQuote(config.dataDir)} `
      : '';
  return `${env}npm run gatehouse -- admin create --email you@example.com --password '<12+ characters>' --platform`;
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Whether the directory has an administrator; a failure to ask counts as "yes" (no advice). */
export async function administratorExists(databaseUrl: string): Promise<boolean> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ exists: boolean }>('select exists(select 1 from administrators) as exists');
    return rows[0]?.exists === true;
  } catch {
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}
