// The bench's own services: a fresh database on DATABASE_URL's server per Gatehouse under
// test, and a private redis-server (when installed) so that Redis's CPU per token is the
// bench's alone and not that of whatever else uses the machine's Redis.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `query(sql, params)` → rows, one connection per call (the bench's few bookkeeping queries). */
export function queryOn(url) {
  return (sql, params) => withClient(url, (c) => c.query(sql, params)).then((r) => r.rows);
}

/** A fresh, empty database on the server of `serverUrl`; Gatehouse migrates it at start. */
export async function createDatabase(serverUrl) {
  const name = `gh_bench_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    /** PIDs of the backends connected to this database (its share of PostgreSQL's CPU). */
    backendPids: () =>
      withClient(serverUrl, (c) => c.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])).then((r) =>
        r.rows.map((x) => x.pid),
      ),
    query: queryOn(u.toString()),
    drop: () => withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

/**
 * A redis-server of the bench's own on a free loopback port, without persistence (as the
 * machine's Redis is configured here); null when redis-server is not installed.
 */
export async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break;
    await sleep(50);
  }
  return {
    url,
    pid: child.pid,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
