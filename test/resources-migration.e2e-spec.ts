import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { resourceIdentifierProblem } from '@gatehouse/core';
import { findMigrationsDir, migrate, withDatabase } from '@gatehouse/db';
import { Client } from 'pg';

const MIGRATION = '20261207130000_resources';

/**
 * The migration that turns apps' audiences into registered resources
 * (docs/resources.md#migration), run on a database holding the audiences of before: every
 * audience of every app becomes a resource of its org declaring the scopes of the apps that
 * named it; the ones the identifier rule would refuse, and the ones several orgs shared, are
 * kept as legacy rows; and no row it registers is one the rule refuses.
 */
describe('migration: audiences become resources', () => {
  const server = process.env.GATEHOUSE_TEST_PG_URL!;
  const name = `gh_test_mig_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(server, name);
  let pg: Client;
  let before: string;

  // What the old schema (z.string().url()) let an app name, canonical or not.
  const audiences: Record<string, string[]> = {
    app_1: ['https://api.acme.test', 'https://mcp.acme.test/mcp', 'urn:acme:billing', 'https://shared.test/api'],
    app_2: [
      'https://api.acme.test',
      'https://API.acme.test/',
      'https://api.acme.test:443/v2',
      'http://localhost:3000/mcp',
    ],
    app_3: [
      'http://internal.acme.test/',
      'https://acme.test/a/../b',
      'https://acme.test/search?q=1',
      'https://0x7f.1/',
    ],
    app_4: ['https://shared.test/api', 'https://globex.test', 'https://127.0.0.1:8443/x', 'http://[::1]:80/'],
  };

  beforeAll(async () => {
    const admin = new Client({ connectionString: withDatabase(server, 'postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const all = findMigrationsDir();
    before = mkdtempSync(join(tmpdir(), 'gh-migrations-'));
    for (const dir of readdirSync(all)) {
      if (dir < MIGRATION) cpSync(join(all, dir), join(before, dir), { recursive: true });
    }
    await migrate(url, before);
    pg = new Client({ connectionString: url });
    await pg.connect();
    await pg.query(
      `INSERT INTO organizations (id, name, display_name) VALUES ('org_A', 'acme', 'A'), ('org_B', 'globex', 'B')`,
    );
    const apps: [string, string, string[]][] = [
      ['app_1', 'org_A', ['notes:read', 'billing']],
      ['app_2', 'org_A', ['notes:write', 'notes:read']],
      ['app_3', 'org_A', ['search']],
      ['app_4', 'org_B', ['g:read']],
    ];
    for (const [id, org, scopes] of apps) {
      await pg.query(
        `INSERT INTO applications (id, org_id, name, scopes, audiences, rate_limit_requests, rate_limit_per_seconds,
                                   token_rate_limit_requests, token_rate_limit_per_seconds, token_ttl_s)
         VALUES ($1, $2, $1, $3, $4, 600, 60, 6000, 60, 600)`,
        [id, org, scopes, audiences[id]],
      );
    }
    // This migration first, then whatever later ones exist.
    expect((await migrate(url)).applied[0]).toBe(MIGRATION);
  });
  afterAll(async () => {
    await pg?.end();
    rmSync(before, { recursive: true, force: true });
    const admin = new Client({ connectionString: withDatabase(server, 'postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  const rows = async () =>
    (
      await pg.query<{
        id: string;
        org_id: string;
        identifier: string;
        scopes: { name: string; description: string }[];
        legacy: boolean;
      }>(`SELECT id, org_id, identifier, scopes, legacy FROM resources ORDER BY org_id, identifier`)
    ).rows;

  it('gives every audience of every app a resource of its org, with a prefixed ULID', async () => {
    const r = await rows();
    const expected = new Set(
      Object.entries(audiences).flatMap(([app, list]) =>
        list.map((a) => `${app === 'app_4' ? 'org_B' : 'org_A'} ${a}`),
      ),
    );
    expect(new Set(r.map((x) => `${x.org_id} ${x.identifier}`))).toEqual(expected);
    for (const x of r) expect(x.id).toMatch(/^res_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(r.map((x) => x.id)).size).toBe(r.length);
  });

  it('declares the scopes of the apps that named it, so tokens keep their scope', async () => {
    const api = (await rows()).find((x) => x.identifier === 'https://api.acme.test')!;
    expect(api.scopes).toEqual([
      { name: 'billing', description: '' },
      { name: 'notes:read', description: '' },
      { name: 'notes:write', description: '' },
    ]);
  });

  it('registers what the identifier rule accepts and one org used; keeps the rest as legacy', async () => {
    const legacy = Object.fromEntries((await rows()).map((x) => [`${x.org_id} ${x.identifier}`, x.legacy]));
    expect(legacy).toEqual({
      'org_A https://api.acme.test': false,
      'org_A https://mcp.acme.test/mcp': false,
      'org_A http://localhost:3000/mcp': false,
      'org_A urn:acme:billing': true,
      'org_A https://shared.test/api': true,
      'org_B https://shared.test/api': true,
      'org_A https://API.acme.test/': true,
      'org_A https://api.acme.test:443/v2': true,
      'org_A http://internal.acme.test/': true,
      'org_A https://acme.test/a/../b': true,
      // canonical, but the migration's approximation of the rule does not try queries
      'org_A https://acme.test/search?q=1': true,
      'org_A https://0x7f.1/': true,
      'org_B https://globex.test': false,
      'org_B https://127.0.0.1:8443/x': false,
      'org_B http://[::1]:80/': true,
    });
  });

  it('never registers an identifier the rule refuses (the approximation is conservative)', async () => {
    for (const x of await rows()) if (!x.legacy) expect(resourceIdentifierProblem(x.identifier)).toBeNull();
  });

  it('keeps the platform-wide uniqueness for registered identifiers and lets new ones in', async () => {
    await expect(
      pg.query(
        `INSERT INTO resources (id, org_id, identifier, name) VALUES ('res_x', 'org_B', 'https://api.acme.test', 'x')`,
      ),
    ).rejects.toThrow(/resources_identifier_registered_key/);
    await pg.query(
      `INSERT INTO resources (id, org_id, identifier, name) VALUES ('res_y', 'org_B', 'https://new.test', 'y')`,
    );
  });
});
