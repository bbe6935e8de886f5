import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { CookieBrowser, type PageResponse } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

const CALLBACK = 'https://modes.example/cb';
const PASSWORD = 'Lantern-Quiet-Harbor-81';

/**
 * Two ways a code comes back and is used (docs/sign-in.md): `response_mode=form_post` (an
 * auto-submitting page whose script is an external file, with a button that does the same
 * without JavaScript, under the pages' CSP), and a public client that binds its code-grant
 * tokens to a DPoP key (RFC 9449) and refreshes them with the same key, never another.
 */
describe('browser sign-in: form_post and DPoP-bound refresh', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let web: { client_id: string; client_secret: string };
  let spa: { client_id: string };
  const email = 'modes@example.test';
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorizeUrl = (clientId: string, extra: Record<string, string> = {}) =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st-1',
      ...extra,
    })}`;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'modes', display_name: 'M' } })).body.id;
    const mk = async (body: Record<string, unknown>) => {
      const res = await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: {
          scopes: ['files:read'],
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [CALLBACK],
          consent: 'first_party',
          ...body,
        },
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    web = await mk({ name: 'web' });
    spa = await mk({ name: 'spa', client_type: 'public', dpop_nonce_required: false });
    expect(
      (await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password: PASSWORD } })).status,
    ).toBe(201);
  });
  afterAll(() => gh?.close());

  async function signIn(browser: CookieBrowser, url: string): Promise<PageResponse> {
    let page = await browser.go(url);
    page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
    return browser.submit(gh.url, page, '/sign-in/password', { password: PASSWORD });
  }

  /** The form_post page: a form posting the response to the redirect URI, no inline script, a CSP that allows it. */
  function expectFormPost(page: PageResponse, want: Record<string, string | RegExp>) {
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const [form, ...others] = CookieBrowser.forms(page);
    expect(others).toEqual([]);
    expect(form.action).toBe(CALLBACK);
    expect(page.body).toMatch(/<form id="form-post" method="post" action="https:\/\/modes\.example\/cb">/);
    for (const [k, v] of Object.entries(want))
      expect(form.fields[k]).toEqual(typeof v === 'string' ? v : expect.stringMatching(v));
    // The person without JavaScript submits it with the button.
    expect(page.body).toMatch(/<button type="submit">[^<]+<\/button>/);
    // The only script is the external file; none inline, and the CSP admits no inline script.
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => [m[1].trim(), m[2]])).toEqual([['src="/sign-in/assets/form-post.js"', '']]);
    expect(page.body).not.toMatch(/\son[a-z]+=/i);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("form-action 'self' https://modes.example");
    expect(csp).toContain("frame-ancestors 'none'");
    return form;
  }

  it('response_mode=form_post: the code and state come as a form, after the pages and by SSO alike', async () => {
    const browser = new CookieBrowser(CALLBACK);
    const page = await signIn(browser, authorizeUrl(web.client_id, { response_mode: 'form_post' }));
    const form = expectFormPost(page, { code: /^ghac_/, state: 'st-1', iss: gh.url });
    // The posted code is a real one: it redeems.
    const token = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${web.client_id}:${web.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: form.fields.code,
        redirect_uri: CALLBACK,
        code_verifier: verifier,
      }),
    });
    expect(token.status).toBe(200);
    // The script is served from the pages' own origin, as JavaScript.
    const js = await fetch(`${gh.url}/sign-in/assets/form-post.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain("getElementById('form-post')");
    // SSO: the session answers prompt=none at once, as a form too; without a session the
    // error (login_required) comes back the same way.
    const sso = await browser.request(authorizeUrl(web.client_id, { response_mode: 'form_post', prompt: 'none' }));
    expectFormPost(sso, { code: /^ghac_/, state: 'st-1' });
    const fresh = new CookieBrowser(CALLBACK);
    const refused = await fresh.request(authorizeUrl(web.client_id, { response_mode: 'form_post', prompt: 'none' }));
    const err = expectFormPost(refused, { error: 'login_required', state: 'st-1', iss: gh.url });
    expect(err.fields.code).toBeUndefined();
  });

  it('a public client binds its code-grant tokens to a DPoP key and refreshes with that key only', async () => {
    const browser = new CookieBrowser(CALLBACK);
    const back = await signIn(browser, authorizeUrl(spa.client_id, { scope: 'offline_access files:read' }));
    const callback = new URL(back.url);
    expect(callback.searchParams.get('code')).toMatch(/^ghac_/);
    const as = await oauth.processDiscoveryResponse(
      new URL(gh.url),
      await oauth.discoveryRequest(new URL(gh.url), { [oauth.allowInsecureRequests]: true }),
    );
    const client: oauth.Client = { client_id: spa.client_id };
    const opts = { [oauth.allowInsecureRequests]: true };
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keyPair);
    const jkt = await DPoP.calculateThumbprint();
    const params = oauth.validateAuthResponse(as, client, callback, 'st-1');
    const first = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, CALLBACK, verifier, {
        DPoP,
        ...opts,
      }),
    );
    expect(first.token_type).toBe('dpop');
    expect(decodeJwt(first.access_token).cnf).toEqual({ jkt });
    expect(first.refresh_token).toEqual(expect.any(String));
    const [family] = await gh.sql<{ dpop_jkt: string }>(
      `SELECT dpop_jkt FROM refresh_families WHERE client_id = $1 AND revoked_at IS NULL`,
      [spa.client_id],
    );
    expect(family.dpop_jkt).toBe(jkt);

    // The refresh with the same key: a new access token bound to it, and the next refresh token.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), first.refresh_token!, { DPoP, ...opts }),
    );
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
    expect(decodeJwt(refreshed.access_token).sub).toBe(decodeJwt(first.access_token).sub);
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);

    // Another key, or no proof at all, is refused for this family.
    const otherKey = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const withOther = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token!, {
      DPoP: otherKey,
      ...opts,
    });
    expect(withOther.status).toBe(400);
    expect(((await withOther.json()) as { error: string }).error).toMatch(/invalid_grant|invalid_dpop_proof/);
    const bare = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshed.refresh_token!,
        client_id: spa.client_id,
      }),
    });
    expect(bare.status).toBe(400);
    expect(((await bare.json()) as { error: string }).error).toMatch(/invalid_grant|invalid_dpop_proof/);
  });
});
