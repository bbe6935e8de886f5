import {
  cliCreateAdmin,
  hasRedis,
  loginAdmin,
  runGatehouseCli,
  startGatehouse,
  type TestGatehouse,
} from './support/gatehouse';

/**
 * Clients that sign people in (docs/sign-in.md#clients): redirect URIs, public clients,
 * PKCE, consent, the legacy password opt-in, through the API and the CLI, with problem+json
 * refusals naming each field.
 */
describe('sign-in clients', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  const createApp = (body: Record<string, unknown>) =>
    gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: admin, body: { scopes: ['notes:read'], ...body } });

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'clients', display_name: 'C' } })).body.id;
  });
  afterAll(() => gh?.close());

  it('a new app is confidential, requires PKCE, asks consent and has no legacy password login', async () => {
    const res = await createApp({ name: 'plain' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      redirect_uris: [],
      post_logout_redirect_uris: [],
      client_type: 'confidential',
      require_pkce: true,
      consent: 'required',
      password_login: false,
      logo_uri: null,
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(res.body.client_secret).toMatch(/^ghs_/);
  });

  it('a web app registers redirect URIs and the authorization_code grant', async () => {
    const res = await createApp({
      name: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://web.example/cb', 'http://localhost:3000/cb'],
      post_logout_redirect_uris: ['https://web.example/'],
      consent: 'first_party',
      logo_uri: 'https://web.example/logo.png',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://web.example/cb', 'http://localhost:3000/cb'],
      consent: 'first_party',
    });
    const audit = await gh.sql<{ details: { changed: string[]; redirect_uris?: unknown } }>(
      `SELECT details FROM audit_events WHERE action = 'app.permissions.changed' AND target_id = $1`,
      [res.body.client_id],
    );
    expect(audit).toHaveLength(0);
    const patched = await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${res.body.client_id}`, {
      token: admin,
      body: { redirect_uris: ['https://web.example/callback'] },
    });
    expect(patched.status).toBe(200);
    const changed = await gh.sql<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE action = 'app.permissions.changed' AND target_id = $1`,
      [res.body.client_id],
    );
    expect(changed[0].details.redirect_uris).toEqual({
      added: ['https://web.example/callback'],
      removed: ['https://web.example/cb', 'http://localhost:3000/cb'],
    });
  });

  it('a public client gets no secret, authenticates with none and always requires PKCE', async () => {
    const res = await createApp({
      name: 'spa',
      client_type: 'public',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://spa.example/cb'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ client_type: 'public', token_endpoint_auth_method: 'none', require_pkce: true });
    expect(res.body.client_secret).toBeUndefined();
    const off = await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${res.body.client_id}`, {
      token: admin,
      body: { require_pkce: false },
    });
    expect(off.status).toBe(400);
    expect(off.body.errors).toEqual([{ path: 'require_pkce', message: expect.stringMatching(/always requires PKCE/) }]);
  });

  it('refuses what cannot be used safely, naming each field', async () => {
    const res = await createApp({
      name: 'bad',
      grant_types: ['authorization_code'],
      redirect_uris: ['http://web.example/cb', 'https://web.example/cb#frag', 'not a url'],
      logo_uri: 'http://web.example/logo.png',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'redirect_uris[0]',
      'redirect_uris[1]',
      'redirect_uris[2]',
      'logo_uri',
    ]);
    const noUri = await createApp({ name: 'nouri', grant_types: ['authorization_code'] });
    expect(noUri.status).toBe(400);
    expect(noUri.body.errors).toEqual([{ path: 'redirect_uris', message: expect.stringMatching(/at least one/) }]);
    const noneConfidential = await createApp({ name: 'none', token_endpoint_auth_method: 'none' });
    expect(noneConfidential.status).toBe(400);
    const publicWithSecret = await createApp({
      name: 'pub',
      client_type: 'public',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(publicWithSecret.status).toBe(400);
  });

  it('the legacy password endpoint answers with Deprecation and a Link to the migration guide', async () => {
    const app = await createApp({ name: 'legacy', password_login: true });
    const email = 'legacy@example.test';
    const password = 'Lantern-Quiet-Harbor-77';
    await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password } });
    for (const pw of [password, 'wrong-password-123']) {
      const res = await gh.api('POST', `/v1/orgs/${orgId}/users/login`, {
        body: { client_id: app.body.client_id, email, password: pw },
      });
      expect(res.status).toBe(pw === password ? 200 : 401);
      expect(res.headers.get('deprecation')).toBe('@1796688000');
      expect(res.headers.get('link')).toBe('</docs#/users/UsersController_login>; rel="deprecation"; type="text/html"');
    }
    // The Link's target exists on this server: the docs page, and the operation it opens,
    // marked deprecated with the migration guide as its description.
    const docs = await fetch(new URL('/docs', gh.url));
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    const spec = (await gh.api('GET', '/openapi.json')).body;
    const op = spec.paths['/v1/orgs/{orgId}/users/login'].post;
    expect(op).toMatchObject({ operationId: 'UsersController_login', tags: ['users'], deprecated: true });
    expect(op.description).toMatch(/Migrating: .*redirect URI/);
  });

  it('an app without password_login is refused at the legacy endpoint, naming the field, before any password check', async () => {
    const app = await createApp({ name: 'no-legacy' });
    const email = 'modern@example.test';
    const password = 'Lantern-Quiet-Harbor-78';
    await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password } });
    const res = await gh.api('POST', `/v1/orgs/${orgId}/users/login`, {
      body: { client_id: app.body.client_id, email, password },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.headers.get('deprecation')).toBe('@1796688000');
    expect(res.body).toMatchObject({ code: 'password_login_disabled', field: 'password_login' });
    expect(res.body.detail).toMatch(/password_login: true/);
    expect(res.body.access_token).toBeUndefined();
    const rows = await gh.sql<{ outcome: string; reason: string; details: { client_id: string } }>(
      `SELECT outcome, reason, details FROM audit_events WHERE action = 'user.login' AND details->>'client_id' = $1`,
      [app.body.client_id],
    );
    expect(rows).toEqual([
      { outcome: 'failure', reason: 'password_login not enabled', details: { client_id: app.body.client_id } },
    ]);
    // Opting in is a PATCH of the field; then the same request signs in.
    const patched = await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${app.body.client_id}`, {
      token: admin,
      body: { password_login: true },
    });
    expect(patched.body.password_login).toBe(true);
    const again = await gh.api('POST', `/v1/orgs/${orgId}/users/login`, {
      body: { client_id: app.body.client_id, email, password },
    });
    expect(again.status).toBe(200);
    expect(again.body.access_token).toEqual(expect.any(String));
    const bad = await createApp({ name: 'bad-legacy', password_login: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'password_login', message: expect.any(String) }]);
  });

  it('the CLI registers a public native app with a loopback redirect', async () => {
    const { code, out, err } = await runGatehouseCli(gh, [
      'apps',
      'create',
      '--org',
      orgId,
      '--name',
      'cli-native',
      '--scope',
      'notes:read',
      '--client-type',
      'public',
      '--grant',
      'authorization_code',
      '--redirect-uri',
      'http://127.0.0.1/callback',
      '--json',
    ]);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      client_type: 'public',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
    });
  });
});
