import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/** Client-secret rotation: a second secret, listing without secrets, deletion and expiry. */
describe('client secret lifecycle', () => {
  let gh: TestGatehouse;
  let admin: string;
  let base: string;
  let app: { client_id: string; client_secret: string; client_secret_id: string };

  const token = (secret: string) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    }).then((r) => r.status);

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    base = `/v1/orgs/${org.id}/apps`;
    app = (await gh.api('POST', base, { token: admin, body: { name: 'svc', scopes: ['x'] } })).body;
    base = `${base}/${app.client_id}/secrets`;
  });
  afterAll(() => gh?.close());

  it('rotates: both secrets work, the list shows ids and dates only, at most two are active', async () => {
    const second = await gh.api('POST', base, { token: admin });
    expect(second.status).toBe(201);
    expect(second.body.client_secret).toMatch(/^ghs_/);
    expect(await token(app.client_secret)).toBe(200);
    expect(await token(second.body.client_secret)).toBe(200);

    const list = await gh.api('GET', base, { token: admin });
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([app.client_secret_id, second.body.id]);
    expect(list.text).not.toContain(app.client_secret);
    expect(list.text).not.toContain(second.body.client_secret);
    expect(Object.keys(list.body.data[0]).sort()).toEqual(['active', 'created_at', 'expires_at', 'id', 'revoked_at']);

    const third = await gh.api('POST', base, { token: admin });
    expect(third.status).toBe(409);
  });

  it('deleting a secret ends it at once', async () => {
    expect((await gh.api('DELETE', `${base}/${app.client_secret_id}`, { token: admin })).status).toBe(204);
    expect(await token(app.client_secret)).toBe(401);
    expect((await gh.api('DELETE', `${base}/${app.client_secret_id}`, { token: admin })).status).toBe(404);
    const audit = await gh.sql(
      `SELECT details->>'secret_id' AS id FROM audit_events WHERE action = 'app.secret.revoked'`,
    );
    expect(audit).toEqual([{ id: app.client_secret_id }]);
  });

  it('an optional expiry on the previous secrets retires them on time', async () => {
    const current = (await gh.api('GET', base, { token: admin })).body.data.find((s: { active: boolean }) => s.active);
    const next = await gh.api('POST', base, { token: admin, body: { previous_expires_in_s: 0 } });
    expect(next.status).toBe(201);
    const listed = (await gh.api('GET', base, { token: admin })).body.data;
    expect(listed.find((s: { id: string }) => s.id === current.id)).toMatchObject({ active: false });
    expect(await token(next.body.client_secret)).toBe(200);
    expect((await gh.api('POST', base, { token: admin, body: { previous_expires_in_s: -1 } })).status).toBe(400);
  });
});
