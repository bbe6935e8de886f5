import { createHash, randomBytes } from 'node:crypto';
import { CookieBrowser } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

const CALLBACK = 'https://end.example/cb';
const PASSWORD = 'Lantern-Quiet-Harbor-61';

/**
 * The SSO session ends (docs/sign-in.md#the-session) on sign-out, revoke-all, a password
 * change, the user disabled and the user deleted: for each, the old cookie no longer signs
 * anyone in, `prompt=none` answers `login_required`, and a `session.ended` row gives the reason.
 */
describe('browser session end', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let app: { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.client_id,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      state: 's1',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...extra,
    })}`;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'ending', display_name: 'E' } })).body.id;
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: {
          name: 'web',
          scopes: ['notes:read'],
          grant_types: ['authorization_code'],
          redirect_uris: [CALLBACK],
          consent: 'first_party',
        },
      })
    ).body;
  });
  afterAll(() => gh?.close());

  /** A fresh user signed in on the pages: the browser holding the session, and the session's id. */
  async function signedIn(label: string) {
    const email = `${label}-${randomBytes(3).toString('hex')}@example.test`;
    const user = await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password: PASSWORD } });
    expect(user.status).toBe(201);
    const browser = new CookieBrowser(CALLBACK);
    let page = await browser.go(authorizeUrl());
    page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
    page = await browser.submit(gh.url, page, '/sign-in/password', { password: PASSWORD });
    expect(new URL(page.url).searchParams.get('code')).toEqual(expect.any(String));
    // Before the trigger the session answers prompt=none with a code: the checks below can fail.
    expect(await promptNone(browser)).toEqual({ code: true, error: null });
    const [session] = await gh.sql<{ id: string }>('SELECT id FROM browser_sessions WHERE user_id = $1', [
      user.body.id,
    ]);
    return { userId: user.body.id as string, browser, cookies: new Map(browser.jar), sid: session.id };
  }

  async function promptNone(browser: CookieBrowser) {
    const res = await browser.request(authorizeUrl({ prompt: 'none' }));
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(CALLBACK);
    return { code: back.searchParams.has('code'), error: back.searchParams.get('error') };
  }

  /** The old cookie, replayed: prompt=none is login_required, a plain request shows the sign-in page. */
  async function expectEnded(s: { browser: CookieBrowser; cookies: Map<string, string>; sid: string }, why: string) {
    const replay = new CookieBrowser(CALLBACK);
    for (const [k, v] of s.cookies) replay.jar.set(k, v);
    expect(await promptNone(replay)).toEqual({ code: false, error: 'login_required' });
    const page = await replay.go(authorizeUrl());
    expect(page.url.startsWith(CALLBACK)).toBe(false);
    expect(page.status).toBe(200);
    expect(page.body).toContain('action="/sign-in/identify"');
    const rows = await gh.sql<{ reason: string; org_id: string }>(
      `SELECT reason, org_id FROM audit_events WHERE action = 'session.ended' AND target_id = $1`,
      [s.sid],
    );
    expect(rows).toEqual([{ reason: why, org_id: orgId }]);
    const [row] = await gh.sql<{ ended_why: string | null }>('SELECT ended_why FROM browser_sessions WHERE id = $1', [
      s.sid,
    ]);
    expect(row.ended_why).toBe(why);
  }

  it('sign-out', async () => {
    const s = await signedIn('logout');
    expect((await s.browser.request(`${gh.url}/oauth/logout`)).status).toBe(200);
    await expectEnded(s, 'logout');
  });

  it('revoke-all of the user', async () => {
    const s = await signedIn('revoke');
    const res = await gh.api('POST', `/v1/orgs/${orgId}/users/${s.userId}/revoke-tokens`, { token: admin });
    expect(res.status).toBe(200);
    await expectEnded(s, 'revoke_all:user');
  });

  it('a password change', async () => {
    const s = await signedIn('password');
    const res = await gh.api('PATCH', `/v1/orgs/${orgId}/users/${s.userId}`, {
      token: admin,
      body: { password: 'Another-Quiet-Harbor-62' },
    });
    expect(res.status).toBe(200);
    await expectEnded(s, 'password_changed');
  });

  it('the user disabled', async () => {
    const s = await signedIn('disabled');
    const res = await gh.api('PATCH', `/v1/orgs/${orgId}/users/${s.userId}`, {
      token: admin,
      body: { disabled: true },
    });
    expect(res.status).toBe(200);
    await expectEnded(s, 'user_disabled');
  });

  it('the user deleted', async () => {
    const s = await signedIn('deleted');
    expect((await gh.api('DELETE', `/v1/orgs/${orgId}/users/${s.userId}`, { token: admin })).status).toBe(204);
    await expectEnded(s, 'user_deleted');
  });

  it("a change to one user leaves another user's session alone", async () => {
    const kept = await signedIn('kept');
    const other = await signedIn('other');
    await gh.api('POST', `/v1/orgs/${orgId}/users/${other.userId}/revoke-tokens`, { token: admin });
    expect(await promptNone(kept.browser)).toEqual({ code: true, error: null });
    const rows = await gh.sql('SELECT 1 FROM audit_events WHERE action = $1 AND target_id = $2', [
      'session.ended',
      kept.sid,
    ]);
    expect(rows).toEqual([]);
  });

  // Last: it ends every session of the org.
  it('revoke-all of the org ends the sessions of its users', async () => {
    const s = await signedIn('org');
    const res = await gh.api('POST', `/v1/orgs/${orgId}/revoke-tokens`, { token: admin });
    expect(res.status).toBe(200);
    await expectEnded(s, 'revoke_all:org');
  });
});
