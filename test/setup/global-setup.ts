import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { startEmbeddedPostgres } from '../../libs/db/src/embedded-postgres';

/**
 * Finds the services the suites run against. DATABASE_URL names a server (each test file
 * creates its own database on it); without it an embedded PostgreSQL is started for the
 * run. REDIS_URL enables the Redis-backed suites; without it they are skipped, said in one
 * line — and with CI=true a skipped suite is a failure.
 */
export default async function globalSetup(): Promise<void> {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (process.env.DATABASE_URL) {
    await assertPostgres(process.env.DATABASE_URL);
    process.env.GATEHOUSE_TEST_PG_URL = process.env.DATABASE_URL;
  } else {
    if (ci) throw new Error('CI=true but DATABASE_URL is not set: the suites must run against the real PostgreSQL');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-pg-'));
    const pg = await startEmbeddedPostgres(dir);
    (globalThis as { __embeddedPg?: { stop(): Promise<void> } }).__embeddedPg = pg;
    process.env.GATEHOUSE_TEST_PG_URL = pg.url;
    process.stdout.write(`\n[gatehouse tests] DATABASE_URL not set: using an embedded PostgreSQL in ${dir}\n`);
  }
  if (process.env.REDIS_URL) {
    const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      throw new Error(`REDIS_URL=${process.env.REDIS_URL} is not reachable: ${(err as Error).message}`);
    } finally {
      redis.disconnect();
    }
  } else if (ci) {
    throw new Error('CI=true but REDIS_URL is not set: Redis-backed suites would be skipped, which CI does not allow');
  } else {
    process.stdout.write('[gatehouse tests] REDIS_URL not set: Redis-backed suites are SKIPPED (set REDIS_URL to run them)\n');
  }
}

async function assertPostgres(url: string): Promise<void> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } catch (err) {
    throw new Error(`DATABASE_URL is not reachable: ${(err as Error).message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
}
