import { decodeJwt } from 'jose';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/**
 * Protocol-surface defects, each proven against the real server:
 * - /oauth/revoke and /oauth/introspect answer body errors as RFC 6749 §5.2 (RFC 7009
 *   §2.2.1, RFC 7662 §2.3), like /oauth/token, not as management-API problems;
 * - a scope withdrawn from an app leaves its users' sessions at their next refresh;
 * - an email that names no administrator backs off and locks like a real account.
 */
describe('protocol surface and session rules', () => {
  let gh: TestGatehouse;
  let admin: string;
  let org: { id: string };
  let app: { client_id: string; client_secret: string };
  const password = 'User-Strong-Pass-42';
  const basic = () => `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`;

  beforeAll(async () => {
    gh = await startGatehouse({ env: { GATEHOUSE_BODY_LIMIT_BYTES: '2048' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'web', scopes: ['profile', 'orders:read'] },
      })
    ).body;
    await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email: 'dana@acme.test', password } });
  });
  afterAll(() => gh?.close());

  describe.each(['/oauth/revoke', '/oauth/introspect'])('%s body errors are RFC 6749 bodies', (path) => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(gh.url + path, { method: 'POST', headers: { authorization: basic(), ...headers }, body }).then(
        async (r) => ({
          status: r.status,
          type: r.headers.get('content-type'),
          body: (await r.json()) as Record<string, string>,
        }),
      );

    it('a JSON body', async () => {
      const r = await post({ 'content-type': 'application/json' }, JSON.stringify({ token: 'x' }));
      expect(r).toEqual({
        status: 400,
        type: expect.stringMatching(/^application\/json/),
        body: { error: 'invalid_request', error_description: 'Send the request as application/x-www-form-urlencoded.' },
      });
    });

    it('an oversized body', async () => {
      const r = await post({ 'content-type': 'application/x-www-form-urlencoded' }, `token=${'a'.repeat(4096)}`);
      expect(r.status).toBe(413);
      expect(r.body).toEqual({ error: 'invalid_request', error_description: 'The request body is too large.' });
    });

    it('an unknown content type', async () => {
      const r = await post({ 'content-type': 'text/xml' }, '<token/>');
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    });
  });

  it('a scope withdrawn from the app is not minted again by its users’ refresh grants', async () => {
    const login = await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
      body: { client_id: app.client_id, email: 'dana@acme.test', password },
    });
    expect(decodeJwt(login.body.access_token).scope).toBe('profile orders:read');
    const patched = await gh.api('PATCH', `/v1/orgs/${org.id}/apps/${app.client_id}`, {
      token: admin,
      body: { scopes: ['profile'] },
    });
    expect(patched.status).toBe(200);
    const refresh = (refreshToken: string, scope?: string) =>
      fetch(`${gh.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: app.client_id,
          refresh_token: refreshToken,
          ...(scope ? { scope } : {}),
        }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
    const next = await refresh(login.body.refresh_token);
    expect(next.status).toBe(200);
    expect(next.body.scope).toBe('profile');
    expect(decodeJwt(next.body.access_token).scope).toBe('profile');
    // Asking for it by name is refused, like a client-credentials request for it.
    const asked = await refresh(next.body.refresh_token, 'orders:read');
    expect(asked).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('an unknown email backs off and locks exactly like an administrator’s', async () => {
    const real = await cliCreateAdmin(gh, { platform: true });
    const attempts = async (email: string) => {
      const seen: [number, string | undefined][] = [];
      for (let i = 0; i < 4; i++) {
        const r = await gh.api('POST', '/v1/admin/login', { body: { email, password: 'Wrong-password-123' } });
        seen.push([r.status, r.body.code]);
      }
      return seen;
    };
    const known = await attempts(real.email);
    const unknown = await attempts('nobody-at-all@example.test');
    expect(unknown).toEqual(known);
    expect(known.slice(0, 3)).toEqual([
      [401, 'invalid_credentials'],
      [401, 'invalid_credentials'],
      [401, 'invalid_credentials'],
    ]);
    expect(known[3]).toEqual([429, 'account_locked']);
    // Counted per submitted email, case-insensitively, before any lookup; stored only as a keyed hash.
    const again = await gh.api('POST', '/v1/admin/login', {
      body: { email: 'NOBODY-at-all@example.test', password: 'Wrong-password-123' },
    });
    expect(again.status).toBe(429);
    const rows = await gh.sql<{ email_hash: string }>('SELECT email_hash FROM admin_login_unknown_failures');
    expect(rows).toHaveLength(1);
    expect(rows[0].email_hash).not.toContain('nobody');
    const locked = await gh.sql(
      `SELECT actor_id FROM audit_events WHERE action = 'admin.login.locked' AND actor_id IS NULL`,
    );
    expect(locked.length).toBeGreaterThan(0);
  });

  it('an admin sign-in with a NUL in the email is a 400, counted and audited like any failure', async () => {
    const email = 'ad\u0000min@example.test';
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await gh.api('POST', '/v1/admin/login', { body: { email, password: 'Wrong-password-123' } });
      seen.push(r.status);
      if (r.status === 400) expect(r.body.code).toBe('validation_failed');
    }
    expect(seen).toEqual([400, 400, 400, 429]);
    const rows = await gh.sql(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'admin.login.password' AND reason = 'invalid input'`,
    );
    expect(rows[0].n).toBe(3);
  });
});
