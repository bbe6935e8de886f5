import {
  clientPost,
  cliCreateAdmin,
  loginAdmin,
  startGatehouse,
  type CliAdmin,
  type TestGatehouse,
} from '../support/gatehouse';

/**
 * The API the console needs beyond the rest of /v1 (docs/console.md): the cookie session
 * with its CSRF checks, the token inspector and the audit chain check; and how Gatehouse
 * serves the console itself.
 */
describe('console API', () => {
  let gh: TestGatehouse;
  let platform: CliAdmin;
  let platformToken: string;

  const consoleHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
    origin: gh.url,
    'x-gatehouse-console': '1',
    ...extra,
  });

  /** Password step, then the console's second step with one of the admin's recovery codes. */
  async function consoleSignIn(admin: CliAdmin, headers = consoleHeaders()) {
    const first = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    const res = await fetch(`${gh.url}/v1/console/session`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ mfa_token: first.body.mfa_token, code: admin.mfa.recovery_codes[0] }),
    });
    return { res, mfaToken: first.body.mfa_token as string };
  }

  const cookieOf = (res: Response) =>
    /gatehouse_console_refresh=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];

  const refresh = (cookie: string | undefined, headers = consoleHeaders()) =>
    fetch(`${gh.url}/v1/console/session/refresh`, {
      method: 'POST',
      headers: { ...headers, ...(cookie ? { cookie: `gatehouse_console_refresh=${cookie}` } : {}) },
    });

  beforeAll(async () => {
    gh = await startGatehouse({ redis: true });
    platform = await cliCreateAdmin(gh, { platform: true });
    platformToken = (await loginAdmin(gh, platform)).access_token;
  });

  afterAll(async () => {
    await gh?.close();
  });

  describe('serving /console', () => {
    it('answers every console path with index.html under the strict CSP, never cached', async () => {
      for (const path of ['/console', '/console/', '/console/orgs/org_x/apps/app_y']) {
        const res = await fetch(gh.url + path);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'/);
        expect(res.headers.get('x-frame-options')).toBe('DENY');
      }
    });

    it('serves hashed assets with a long cache and the same CSP', async () => {
      const html = await (await fetch(`${gh.url}/console`)).text();
      const src = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(src).toBeDefined();
      const res = await fetch(gh.url + src!);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toMatch(/immutable/);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect((await fetch(`${gh.url}/console/assets/nope.js`)).status).toBe(404);
    });
  });

  describe('the cookie session', () => {
    it('signs in: the access token in the body, the refresh token only in an HttpOnly, SameSite=Strict cookie', async () => {
      const { res } = await consoleSignIn(platform);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        scope: 'admin',
      });
      expect(JSON.stringify(body)).not.toMatch(/refresh/);
      const setCookie = res.headers.get('set-cookie')!;
      expect(setCookie).toMatch(
        /^gatehouse_console_refresh=ghr_[^;]+; Path=\/v1\/console\/session; Max-Age=\d+; HttpOnly; SameSite=Strict$/,
      );
      expect(res.headers.get('cache-control')).toBe('no-store');
      platform.mfa.recovery_codes.shift();
    });

    it.each([
      ['without the console header', { 'x-gatehouse-console': '' }],
      ['from another origin', { origin: 'https://evil.example' }],
      ['marked cross-site by Fetch Metadata', { 'sec-fetch-site': 'cross-site' }],
    ])('refuses a sign-in %s before looking at the code, which stays usable', async (_, extra) => {
      const { res, mfaToken } = await consoleSignIn(platform, consoleHeaders(extra));
      expect(res.status).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('forbidden');
      expect(res.headers.get('set-cookie')).toBeNull();
      const retry = await fetch(`${gh.url}/v1/console/session`, {
        method: 'POST',
        headers: consoleHeaders({ 'content-type': 'application/json' }),
        body: JSON.stringify({ mfa_token: mfaToken, code: platform.mfa.recovery_codes[0] }),
      });
      expect(retry.status).toBe(200);
      platform.mfa.recovery_codes.shift();
    });

    it('refuses a request without an Origin', async () => {
      const { origin: _drop, ...noOrigin } = consoleHeaders();
      const res = await refresh('ghr_whatever', noOrigin);
      expect(res.status).toBe(403);
    });

    it('rotates the cookie on refresh; replaying a spent one ends the whole family', async () => {
      const { res } = await consoleSignIn(platform);
      platform.mfa.recovery_codes.shift();
      const first = cookieOf(res)!;
      const r1 = await refresh(first);
      expect(r1.status).toBe(200);
      const second = cookieOf(r1)!;
      expect(second).not.toBe(first);
      expect(JSON.stringify(await r1.json())).not.toMatch(/refresh_token/);
      const me = await gh.api('GET', '/v1/me', {
        token: ((await (await refresh(second)).json()) as { access_token: string }).access_token,
      });
      expect(me.body.id).toBe(platform.id);
      // `second` is spent now too; replaying `first` is reuse: the family ends (RFC 9700 §4.14).
      const replay = await refresh(first);
      expect(replay.status).toBe(400);
      expect(((await replay.json()) as { code: string }).code).toBe('invalid_grant');
      expect(replay.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    });

    it('answers 401 when the browser has no session cookie', async () => {
      const res = await refresh(undefined);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('invalid_grant');
    });

    it('signs out: the family is revoked and the cookie deleted', async () => {
      const { res } = await consoleSignIn(platform);
      platform.mfa.recovery_codes.shift();
      const cookie = cookieOf(res)!;
      const { access_token } = (await res.json()) as { access_token: string };
      const noCsrf = await fetch(`${gh.url}/v1/console/session/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, cookie: `gatehouse_console_refresh=${cookie}` },
      });
      expect(noCsrf.status).toBe(403);
      const out = await fetch(`${gh.url}/v1/console/session/logout`, {
        method: 'POST',
        headers: {
          ...consoleHeaders(),
          authorization: `Bearer ${access_token}`,
          cookie: `gatehouse_console_refresh=${cookie}`,
        },
      });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(
        /^gatehouse_console_refresh=; Path=\/v1\/console\/session; Max-Age=0/,
      );
      expect((await refresh(cookie)).status).toBe(400);
      const audit = await gh.sql(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'admin.logout'`);
      expect(audit[0].n).toBeGreaterThanOrEqual(1);
    });

    it('never logs the refresh cookie', () => {
      const cookies = gh.logs.join('\n').match(/ghr_[A-Za-z0-9_-]{10,}/g);
      expect(cookies).toBeNull();
    });

    it('is in the OpenAPI document with the CSRF header', async () => {
      const doc = (await gh.api('GET', '/openapi.json')).body;
      for (const p of ['/v1/console/session', '/v1/console/session/refresh', '/v1/console/session/logout']) {
        const op = doc.paths[p].post;
        expect(op.parameters).toEqual(
          expect.arrayContaining([expect.objectContaining({ name: 'X-Gatehouse-Console', in: 'header' })]),
        );
      }
      expect(doc.paths['/v1/tokens/inspect'].post).toBeDefined();
      expect(doc.paths['/v1/audit/verify'].post).toBeDefined();
    });
  });

  describe('token inspection', () => {
    let orgA: string;
    let client: { client_id: string; client_secret: string };

    const appToken = async () => {
      const res = await clientPost(gh.url, client, '/oauth/token', { grant_type: 'client_credentials' });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const inspect = (token: string, as = platformToken) =>
      gh.api('POST', '/v1/tokens/inspect', { token: as, body: { token } });

    beforeAll(async () => {
      orgA = (
        await gh.api('POST', '/v1/orgs', { token: platformToken, body: { name: 'inspect-a', display_name: 'A' } })
      ).body.id;
      const app = await gh.api('POST', `/v1/orgs/${orgA}/apps`, {
        token: platformToken,
        body: { name: 'a', scopes: ['x:read'] },
      });
      client = { client_id: app.body.client_id, client_secret: app.body.client_secret };
    });

    it('shows the verified claims, not revoked, a live principal and the gate’s decision', async () => {
      const token = await appToken();
      const r = await inspect(token);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        valid: true,
        claims: { sub: client.client_id, tier: 'app', org_id: orgA, scope: 'x:read' },
        act_chain: [],
        revoked: false,
        principal: { live: true },
        decision: { outcome: 'allow' },
      });
    });

    it('reports revocation and a dead principal', async () => {
      const token = await appToken();
      await clientPost(gh.url, client, '/oauth/revoke', { token });
      expect((await inspect(token)).body.revoked).toBe(true);
      const other = await appToken();
      await gh.api('PATCH', `/v1/orgs/${orgA}/apps/${client.client_id}`, {
        token: platformToken,
        body: { disabled: true },
      });
      const r = await inspect(other);
      expect(r.body.principal.live).toBe(false);
      await gh.api('PATCH', `/v1/orgs/${orgA}/apps/${client.client_id}`, {
        token: platformToken,
        body: { disabled: false },
      });
    });

    it('answers another org’s token to an org admin exactly like garbage', async () => {
      const orgB = (
        await gh.api('POST', '/v1/orgs', { token: platformToken, body: { name: 'inspect-b', display_name: 'B' } })
      ).body.id;
      const orgAdmin = await cliCreateAdmin(gh, { orgIds: [orgB] });
      const asOrgAdmin = (await loginAdmin(gh, orgAdmin)).access_token;
      const hidden = await inspect(await appToken(), asOrgAdmin);
      const adminToken = await inspect(platformToken, asOrgAdmin);
      expect(hidden.body).toEqual({ valid: false, error: expect.stringMatching(/cannot see/) });
      expect(adminToken.body).toEqual(hidden.body);
      expect((await inspect('garbage')).body).toEqual({ valid: false, error: 'The token is not a compact JWS.' });
      // and the audit chain is for platform administrators only
      expect((await gh.api('POST', '/v1/audit/verify', { token: asOrgAdmin })).status).toBe(403);
    });

    it('validates its body', async () => {
      const r = await gh.api('POST', '/v1/tokens/inspect', { token: platformToken, body: { token: '', extra: 1 } });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('validation_failed');
    });
  });

  it('verifies the audit chain for a platform administrator', async () => {
    const r = await gh.api('POST', '/v1/audit/verify', { token: platformToken });
    expect(r.status).toBe(200);
    const [{ n }] = await gh.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events`);
    expect(r.body).toEqual({
      ok: true,
      events: n,
      head: { position: n, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });
});
