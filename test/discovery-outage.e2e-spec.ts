import { startGatehouse, type TestGatehouse } from './support/gatehouse';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres';

/**
 * docs/client-registration.md#discovery: the metadata's scope list is read from the database,
 * but discovery keeps answering while PostgreSQL is stopped (clients fetch it before anything
 * else), with Gatehouse's own scopes.
 */
describe('discovery with PostgreSQL stopped', () => {
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

  it('answers the metadata with Gatehouse’s own scopes', async () => {
    await pg.stopImmediate();
    const res = await gh.api('GET', '/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: gh.url,
      registration_endpoint: `${gh.url}/oauth/register`,
      // OpenID Connect's scopes and the revocation feed's (no resource's: they need the database).
      scopes_supported: ['email', 'gatehouse:revocations', 'offline_access', 'openid', 'profile'],
    });
  });
});
