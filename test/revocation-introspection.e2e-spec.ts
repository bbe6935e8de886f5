import { AccessTokenService } from '@gatehouse/tokens';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse, clientPost } from './support/gatehouse';

/** RFC 7009 revocation and RFC 7662 introspection, with the bearer routes' liveness rules. */
describe('revocation and introspection', () => {
  let gh: TestGatehouse;
  let admin: string;
  let acme: { id: string; name: string };
  type App = { client_id: string; client_secret: string };
  let a: App;
  let b: App;
  let c: App;

  const call = (path: string, client: App, params: Record<string, string>) =>
    clientPost(gh.url, client, path, params).then(async (r) => ({ status: r.status, text: await r.text() }));
  const tokenFor = async (client: App) =>
    JSON.parse((await call('/oauth/token', client, { grant_type: 'client_credentials' })).text).access_token as string;
  const introspect = async (client: App, token: string) =>
    JSON.parse((await call('/oauth/introspect', client, { token })).text) as Record<string, unknown>;

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    acme = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    const globex = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } }))
      .body;
    const mk = async (orgId: string, name: string) =>
      (
        await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
          token: admin,
          body: { password_login: true, name, scopes: ['x', 'y'] },
        })
      ).body as App;
    a = await mk(acme.id, 'a');
    b = await mk(acme.id, 'b');
    c = await mk(globex.id, 'c');
  });
  afterAll(() => gh?.close());

  it('discovery advertises both endpoints', async () => {
    const meta = (await gh.api('GET', '/.well-known/oauth-authorization-server')).body;
    expect(meta).toMatchObject({
      revocation_endpoint: `${gh.url}/oauth/revoke`,
      introspection_endpoint: `${gh.url}/oauth/introspect`,
    });
  });

  it('revoke → introspect inactive → /v1/me 401 invalid_token', async () => {
    const token = await tokenFor(a);
    expect(await introspect(a, token)).toMatchObject({
      active: true,
      client_id: a.client_id,
      tier: 'app',
      org: 'acme',
      scope: 'x y',
    });
    expect((await call('/oauth/revoke', a, { token, token_type_hint: 'access_token' })).status).toBe(200);
    expect(await introspect(a, token)).toEqual({ active: false });
    const me = await gh.api('GET', '/v1/me', { token });
    expect(me.status).toBe(401);
    expect(me.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const rows = await gh.sql(`SELECT action FROM audit_events WHERE action = 'token.revoked' AND actor_id = $1`, [
      a.client_id,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('answers 200 for unknown, garbage and already-revoked tokens', async () => {
    const token = await tokenFor(a);
    for (const t of [token, token, 'not-a-token', 'ghr_unknown'])
      expect((await call('/oauth/revoke', a, { token: t })).status).toBe(200);
  });

  it('a client may revoke only its own tokens', async () => {
    const token = await tokenFor(a);
    const res = await call('/oauth/revoke', b, { token });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toBe('unauthorized_client');
    expect((await gh.api('GET', '/v1/me', { token })).status).toBe(200);
  });

  it('introspection by another org sees {"active": false} and nothing else', async () => {
    const token = await tokenFor(a);
    expect(await introspect(c, token)).toEqual({ active: false });
    expect(await introspect(b, token)).toMatchObject({ active: true });
    const refusals = await gh.sql(
      `SELECT reason FROM audit_events WHERE action = 'token.introspected' AND actor_id = $1`,
      [c.client_id],
    );
    expect(refusals).toEqual([{ reason: 'token of another organization' }]);
  });

  it('expired tokens and tokens of deleted apps are inactive', async () => {
    const mint = gh.app.get(AccessTokenService);
    const expired = (
      await mint.mint({
        tier: 'app',
        sub: a.client_id,
        clientId: a.client_id,
        scopes: ['x'],
        ttlS: -60,
        org: acme,
      })
    ).token;
    expect(await introspect(a, expired)).toEqual({ active: false });
    const d = (
      await gh.api('POST', `/v1/orgs/${acme.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'd', scopes: ['x'] },
      })
    ).body as App;
    const token = await tokenFor(d);
    await gh.api('DELETE', `/v1/orgs/${acme.id}/apps/${d.client_id}`, { token: admin });
    expect(await introspect(a, token)).toEqual({ active: false });
  });

  it('revoking a refresh token ends its family', async () => {
    const user = { email: 'ivy@acme.test', password: 'Ivy-Strong-Pass-42' };
    await gh.api('POST', `/v1/orgs/${acme.id}/users`, { token: admin, body: user });
    const s = (await gh.api('POST', `/v1/orgs/${acme.id}/users/login`, { body: { client_id: a.client_id, ...user } }))
      .body;
    expect((await call('/oauth/revoke', b, { token: s.refresh_token })).status).toBe(400);
    expect((await call('/oauth/revoke', a, { token: s.refresh_token, token_type_hint: 'refresh_token' })).status).toBe(
      200,
    );
    const refresh = await call('/oauth/token', a, { grant_type: 'refresh_token', refresh_token: s.refresh_token });
    expect(JSON.parse(refresh.text).error).toBe('invalid_grant');
  });

  const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));

  it("revoke-all of an app kills its tokens (and its users' tokens) issued before, not after", async () => {
    const e = (
      await gh.api('POST', `/v1/orgs/${acme.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'e', scopes: ['x'] },
      })
    ).body as App;
    const user = { email: 'jay@acme.test', password: 'Jay-Strong-Pass-42' };
    await gh.api('POST', `/v1/orgs/${acme.id}/users`, { token: admin, body: user });
    const before = await tokenFor(e);
    const session = (
      await gh.api('POST', `/v1/orgs/${acme.id}/users/login`, { body: { client_id: e.client_id, ...user } })
    ).body;
    const other = await tokenFor(a);

    const res = await gh.api('POST', `/v1/orgs/${acme.id}/apps/${e.client_id}/revoke-tokens`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subject_id: e.client_id, refresh_families_ended: 1 });
    expect((await gh.api('GET', '/v1/me', { token: before })).status).toBe(401);
    expect((await gh.api('GET', '/v1/me', { token: session.access_token })).status).toBe(401);
    expect(await introspect(e, before)).toEqual({ active: false });
    const refresh = await call('/oauth/token', e, {
      grant_type: 'refresh_token',
      refresh_token: session.refresh_token,
    });
    expect(JSON.parse(refresh.text).error).toBe('invalid_grant');
    expect((await gh.api('GET', '/v1/me', { token: other })).status).toBe(200);

    await nextSecond();
    const after = await tokenFor(e);
    expect((await gh.api('GET', '/v1/me', { token: after })).status).toBe(200);
    const audit = await gh.sql(`SELECT target_id FROM audit_events WHERE action = 'principal.tokens_revoked'`);
    expect(audit).toEqual([{ target_id: e.client_id }]);
  });

  it('revoke-all of a user and of a whole org', async () => {
    const user = { email: 'kim@acme.test', password: 'Kim-Strong-Pass-42' };
    const created = (await gh.api('POST', `/v1/orgs/${acme.id}/users`, { token: admin, body: user })).body;
    const s = (await gh.api('POST', `/v1/orgs/${acme.id}/users/login`, { body: { client_id: a.client_id, ...user } }))
      .body;
    const appToken = await tokenFor(b);
    expect(
      (await gh.api('POST', `/v1/orgs/${acme.id}/users/${created.id}/revoke-tokens`, { token: admin })).status,
    ).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: s.access_token })).status).toBe(401);
    expect((await gh.api('GET', '/v1/me', { token: appToken })).status).toBe(200);

    const cToken = await tokenFor(c);
    expect((await gh.api('POST', `/v1/orgs/${acme.id}/revoke-tokens`, { token: admin })).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: appToken })).status).toBe(401);
    expect((await gh.api('GET', '/v1/me', { token: cToken })).status).toBe(200); // other org untouched
    await nextSecond();
    expect((await gh.api('GET', '/v1/me', { token: await tokenFor(b) })).status).toBe(200);
  });
  it('revoke-all of an administrator: every session of it, by itself or a platform admin', async () => {
    const org = await cliCreateAdmin(gh, { platform: false, orgIds: [acme.id] });
    const s1 = await loginAdmin(gh, org);
    const s2 = await loginAdmin(gh, org);
    const platform = await cliCreateAdmin(gh, { platform: true });
    const p = await loginAdmin(gh, platform);

    // An org admin may not end another administrator's sessions; an unknown ID is 404.
    expect((await gh.api('POST', `/v1/admins/${platform.id}/revoke-tokens`, { token: s1.access_token })).status).toBe(
      403,
    );
    expect(
      (await gh.api('POST', `/v1/admins/adm_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke-tokens`, { token: admin })).status,
    ).toBe(404);

    // "Sign out everywhere", by the admin itself: both sessions die, access and refresh.
    const res = await gh.api('POST', `/v1/admins/${org.id}/revoke-tokens`, { token: s1.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subject_id: org.id, refresh_families_ended: 2 });
    for (const s of [s1, s2]) {
      const me = await gh.api('GET', '/v1/me', { token: s.access_token });
      expect(me.status).toBe(401);
      expect(me.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(
        (await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: s.refresh_token } })).status,
      ).toBe(400);
    }
    expect((await gh.api('GET', '/v1/me', { token: p.access_token })).status).toBe(200); // others untouched

    // A platform admin ends someone else's; a new sign-in afterwards works.
    await nextSecond();
    const s3 = await loginAdmin(gh, org);
    expect((await gh.api('GET', '/v1/me', { token: s3.access_token })).status).toBe(200);
    expect((await gh.api('POST', `/v1/admins/${org.id}/revoke-tokens`, { token: p.access_token })).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: s3.access_token })).status).toBe(401);
    const audit = await gh.sql(
      `SELECT actor_id, target_type FROM audit_events WHERE action = 'principal.tokens_revoked' AND target_id = $1 ORDER BY chain_seq`,
      [org.id],
    );
    expect(audit).toEqual([
      { actor_id: org.id, target_type: 'administrator' },
      { actor_id: platform.id, target_type: 'administrator' },
    ]);
  });
});
