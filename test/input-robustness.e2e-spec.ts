import { toProblem } from '../apps/gatehouse/src/http/problem';
import { cliCreateAdmin, loginAdmin, startGatehouse, type ApiResponse, type TestGatehouse } from './support/gatehouse';

/**
 * docs/reliability.md#inputs: a value PostgreSQL would refuse (a NUL, any C0 control) is a
 * 400 `validation_failed` at the edge, and a database data error never surfaces as a 500;
 * docs/reliability.md#concurrent-deletes: two DELETEs of one resource answer 204 and 404.
 */
describe('inputs that never reach a 500', () => {
  let gh: TestGatehouse;
  let admin: string;
  let org: { id: string };
  let app: { client_id: string; client_secret: string };
  const password = 'User-Strong-Pass-42';

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'web', scopes: ['profile'] },
      })
    ).body;
  });
  afterAll(() => gh?.close());

  function expectValidation(res: ApiResponse) {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  }

  it.each(['\u0000', '\u0001', '\u001b', '\u007f'])(
    'refuses the control character %j in sign-in and creation fields with 400 validation_failed',
    async (c) => {
      expectValidation(await gh.api('POST', '/v1/admin/login', { body: { email: `a${c}@b.test`, password } }));
      expectValidation(
        await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
          body: { client_id: `${app.client_id}${c}`, email: 'dana@acme.test', password },
        }),
      );
      expectValidation(
        await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
          body: { client_id: app.client_id, email: `da${c}na@acme.test`, password },
        }),
      );
      expectValidation(
        await gh.api('POST', `/v1/orgs/${org.id}/users`, {
          token: admin,
          body: { email: `er${c}in@acme.test`, password },
        }),
      );
      expectValidation(await gh.api('GET', `/v1/audit?target=${encodeURIComponent(`usr_${c}`)}`, { token: admin }));
      expectValidation(await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: `ghr_${c}` } }));
    },
  );

  it('answers a NUL in an OAuth client_id with an RFC 6749 error, not server_error', async () => {
    const res = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'app_\u0000', client_secret: 'x' }),
    });
    expect(res.status).toBeLessThan(500);
    expect(((await res.json()) as { error: string }).error).toMatch(/^invalid_(request|client)$/);
  });

  it('maps a PostgreSQL data error that slips past the schemas to 400, not 500', async () => {
    const err = await gh.sql(`SELECT convert_from('\\x00'::bytea, 'UTF8')`).catch((e: unknown) => e);
    expect((err as { code: string }).code).toMatch(/^22/);
    expect(toProblem(err)).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it.each([
    [
      'user',
      async () => {
        const u = await gh.api('POST', `/v1/orgs/${org.id}/users`, {
          token: admin,
          body: { email: `race${Date.now()}@acme.test`, password },
        });
        return `/v1/orgs/${org.id}/users/${u.body.id}`;
      },
    ],
    [
      'app',
      async () => {
        const a = await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
          token: admin,
          body: { password_login: true, name: `race-${Date.now()}`, scopes: ['profile'] },
        });
        return `/v1/orgs/${org.id}/apps/${a.body.id}`;
      },
    ],
    [
      'org',
      async () => {
        const o = await gh.api('POST', '/v1/orgs', {
          token: admin,
          body: { name: `race-${Date.now()}`, display_name: 'Race' },
        });
        return `/v1/orgs/${o.body.id}`;
      },
    ],
  ])('answers two concurrent DELETEs of one %s with 204 and 404', async (_kind, create) => {
    for (let round = 0; round < 5; round++) {
      const path = await create();
      const statuses = (await Promise.all([1, 2, 3].map(() => gh.api('DELETE', path, { token: admin })))).map(
        (r) => r.status,
      );
      expect(statuses.sort()).toEqual([204, 404, 404]);
    }
  });
});
