import { clientPost, cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres';

/**
 * Introspection that cannot decide says so. With the PostgreSQL server stopped,
 * POST /oauth/introspect is 503 temporarily_unavailable with Retry-After (RFC 6749 §5.2
 * body) and the cause is logged — never a silent {"active": false}. The test stops a
 * PostgreSQL of its own, never the machine's.
 */
describe('introspection with PostgreSQL stopped', () => {
  let pg: OwnPostgres;
  let gh: TestGatehouse;

  beforeAll(async () => {
    pg = await startOwnPostgres();
    gh = await startGatehouse({ pgServer: pg.url });
  });
  afterAll(async () => {
    await pg?.start();
    await gh?.close().catch(() => undefined);
    await pg?.destroy();
  });

  it('answers 503 with Retry-After, not active:false, and logs why', async () => {
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    const app = (await gh.api('POST', `/v1/orgs/${org.id}/apps`, { token: admin, body: { name: 'rs', scopes: ['x'] } }))
      .body;
    const issued = (await (
      await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' })
    ).json()) as {
      access_token: string;
    };
    const before = await clientPost(gh.url, app, '/oauth/introspect', { token: issued.access_token });
    expect(((await before.json()) as { active: boolean }).active).toBe(true);

    await pg.stopImmediate();
    const during = await clientPost(gh.url, app, '/oauth/introspect', { token: issued.access_token });
    expect(during.status).toBe(503);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await during.json()) as Record<string, unknown>;
    expect(body.error).toBe('temporarily_unavailable');
    expect(body).not.toHaveProperty('active');
    const rid = during.headers.get('x-request-id');
    // One line per failure kind and interval (docs/reliability.md#logs), with its error code.
    const failure = gh.logs.map((l) => JSON.parse(l)).find((l) => l.request_id === rid && l.level === 50);
    expect(failure).toMatchObject({ event: 'database_unavailable' });
    expect(String(failure.error_code)).toMatch(/ECONNREFUSED|terminat|57P01/);
  });
});
