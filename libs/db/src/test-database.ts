import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrate } from './migrator';

/**
 * One database per test file (created from the server URL the test run was given, or the
 * embedded server that jest's global setup started), migrated, and dropped afterwards, so
 * suites never see each other's rows.
 */
export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** `migrations`: the directory to migrate from (default prisma/migrations), e.g. a prefix of it to test a migration. */
export async function createTestDatabase(serverUrl: string, migrations?: string): Promise<TestDatabase> {
  const name = `gh_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  await migrate(url, migrations);
  return {
    url,
    name,
    drop: async () => {
      const c = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
