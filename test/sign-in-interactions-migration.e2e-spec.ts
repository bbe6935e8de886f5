import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { systemClock } from '@gatehouse/core';
import { KeyedHasher, randomSecret } from '@gatehouse/credentials';
import { createTestDatabase, findMigrationsDir, migrate, PrismaService, type TestDatabase } from '@gatehouse/db';
import { SignInInteractionRepository } from '../libs/signin/src/interactions/sign-in-interaction.repository';

const MIGRATION = '20261207110000_sign_in_interactions';

/**
 * The migration that replaces login_challenges and user_policy_challenges with
 * sign_in_interactions (docs/architecture.md#sign-in-interactions): on a database at the
 * schema before it, holding challenges of every state, the live and spent ones move across
 * and stay reachable by the handles already handed out; expired ones and the old tables go.
 */
describe(`migration ${MIGRATION}`, () => {
  const kek = randomBytes(32);
  let dir: string;
  let db: TestDatabase;
  let sql: Client;

  beforeAll(async () => {
    const all = findMigrationsDir();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-migrations-'));
    for (const name of readdirSync(all).filter((n) => n < MIGRATION))
      cpSync(join(all, name), join(dir, name), { recursive: true });
    db = await createTestDatabase(process.env.GATEHOUSE_TEST_PG_URL!, dir);
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves the live and spent challenges with their hashes, drops the expired ones and the old tables', async () => {
    const mfaHash = new KeyedHasher(kek, 'mfa-challenge');
    const policyHash = new KeyedHasher(kek, 'policy-challenge');
    const minutes = (m: number) => new Date(Date.now() + m * 60_000);
    await sql.query(`INSERT INTO organizations (id, name, display_name) VALUES ('org_1', 'acme', 'Acme')`);
    await sql.query(
      `INSERT INTO administrators (id, email, password_hash, role) VALUES ('adm_1', 'a@x.test', 'h', 'platform')`,
    );
    await sql.query(`INSERT INTO users (id, org_id, email, password_hash) VALUES ('usr_1', 'org_1', 'u@x.test', 'h')`);
    const mfaLive = randomSecret('ghc');
    const mfaSpent = randomSecret('ghc');
    const mfaExpired = randomSecret('ghc');
    const policyLive = randomSecret('gha');
    const policyExpired = randomSecret('gha');
    const created = minutes(-1);
    const challenge = (id: string, token: string, expires: Date, consumed: Date | null) =>
      sql.query(
        `INSERT INTO login_challenges (id, admin_id, token_hash, expires_at, consumed_at, created_at)
         VALUES ($1, 'adm_1', $2, $3, $4, $5)`,
        [id, mfaHash.hash(token), expires, consumed, created],
      );
    await challenge('chl_a1', mfaLive, minutes(4), null);
    await challenge('chl_a2', mfaSpent, minutes(4), minutes(-0.5));
    await challenge('chl_a3', mfaExpired, minutes(-1), null);
    const policy = (id: string, token: string, expires: Date) =>
      sql.query(
        `INSERT INTO user_policy_challenges (id, org_id, user_id, client_id, token_hash, expires_at, created_at)
         VALUES ($1, 'org_1', 'usr_1', 'app_1', $2, $3, $4)`,
        [id, policyHash.hash(token), expires, created],
      );
    await policy('chl_u1', policyLive, minutes(4));
    await policy('chl_u2', policyExpired, minutes(-1));

    expect((await migrate(db.url)).applied).toContain(MIGRATION);

    const gone = await sql.query(
      `SELECT to_regclass('login_challenges') AS a, to_regclass('user_policy_challenges') AS b`,
    );
    expect(gone.rows[0]).toEqual({ a: null, b: null });
    const rows = await sql.query(
      `SELECT id, kind, subject_id, org_id, client_id, steps_done, params, consumed_at IS NOT NULL AS consumed
         FROM sign_in_interactions ORDER BY id`,
    );
    expect(rows.rows).toEqual([
      {
        id: 'chl_a1',
        kind: 'admin_mfa',
        subject_id: 'adm_1',
        org_id: null,
        client_id: null,
        steps_done: ['password'],
        params: {},
        consumed: false,
      },
      {
        id: 'chl_a2',
        kind: 'admin_mfa',
        subject_id: 'adm_1',
        org_id: null,
        client_id: null,
        steps_done: ['password'],
        params: {},
        consumed: true,
      },
      {
        id: 'chl_u1',
        kind: 'user_policy',
        subject_id: 'usr_1',
        org_id: 'org_1',
        client_id: 'app_1',
        steps_done: ['password'],
        params: {},
        consumed: false,
      },
    ]);

    // The handles handed out before the upgrade work after it.
    const prisma = new PrismaService(db.url);
    try {
      const store = new SignInInteractionRepository(prisma, kek, systemClock);
      expect(await store.findLive('admin_mfa', mfaLive)).toMatchObject({
        status: 'live',
        interaction: { id: 'chl_a1', subjectId: 'adm_1', createdAt: created },
      });
      expect(await store.findLive('admin_mfa', mfaSpent)).toMatchObject({ status: 'consumed' });
      expect(await store.findLive('admin_mfa', mfaExpired)).toEqual({ status: 'unknown' });
      expect(await store.findLive('user_policy', policyLive)).toMatchObject({
        status: 'live',
        interaction: { id: 'chl_u1', subjectId: 'usr_1', orgId: 'org_1', clientId: 'app_1' },
      });
      expect(await store.findLive('user_policy', policyExpired)).toEqual({ status: 'unknown' });
      expect(await store.consume('chl_u1')).toBe(true);
    } finally {
      await prisma.$disconnect();
    }
  });
});
