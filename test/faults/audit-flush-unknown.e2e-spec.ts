import { TokenRevocationService } from '@gatehouse/tokens';
import { Client } from 'pg';
import {
  cliCreateAdmin,
  clientPost,
  hasRedis,
  loginAdmin,
  startGatehouse,
  type TestGatehouse,
} from '../support/gatehouse';

jest.setTimeout(120_000);

/**
 * docs/reliability.md#unknown-flush-outcome: when the connection dies during a group-commit
 * flush of `token.issued` rows, the client gets 503 and never holds the token, so the token
 * is revoked at once, made durable in revoked_tokens, and logged per jti as not delivered.
 */
describe('audit flush with an unknown outcome', () => {
  let gh: TestGatehouse;
  let app: { client_id: string; client_secret: string };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, { token: admin, body: { name: 'web', scopes: ['profile'] } })
    ).body;
  });
  afterAll(() => gh?.close());

  it('revokes the token of a flush whose connection died, makes it durable and logs it as not delivered', async () => {
    expect((await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' })).status).toBe(200);
    // Hold the audit chain head so the next flush's INSERT waits, then kill its connection.
    const locker = new Client({ connectionString: gh.db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
    const pending = clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' });
    let killed = false;
    for (let i = 0; i < 100 && !killed; i++) {
      const rows = await gh.sql<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%INSERT INTO audit_events%' AND wait_event_type = 'Lock'`,
      );
      for (const r of rows) killed = (await gh.sql(`SELECT pg_terminate_backend($1)`, [r.pid])).length > 0;
      if (!killed) await new Promise((r) => setTimeout(r, 50));
    }
    await locker.query('ROLLBACK');
    await locker.end();
    expect(killed).toBe(true);
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();

    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = gh.logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.event === 'token_not_delivered');
      if (!line) await new Promise((r) => setTimeout(r, 100));
    }
    expect(line).toMatchObject({ client_id: app.client_id, audit_row_committed: false });
    const jti = line!.jti as string;
    console.log(`[faults] unknown flush outcome: token ${jti} revoked and logged as not delivered`);
    expect(await gh.sql(`SELECT jti FROM revoked_tokens WHERE jti = $1`, [jti])).toHaveLength(1);
    const claims = { jti, sub: app.client_id, client_id: app.client_id, iat: Math.floor(Date.now() / 1000) };
    await expect(gh.app.get(TokenRevocationService).isRevoked(claims)).resolves.toBe(true);
    // and the endpoint keeps working
    expect((await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' })).status).toBe(200);
  });
});
