import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { registry } from '../apps/gatehouse/src/metrics/metrics';
import { CookieBrowser, type PageResponse } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

const CALLBACK = 'http://127.0.0.1:9/cb';

/**
 * Browser sign-in end to end (docs/sign-in.md) with a stock client: openid-client v6 does
 * discovery, buildAuthorizationUrl and authorizationCodeGrant; a cookie-jar HTTP client plays
 * the browser through the hosted pages (identify, password, consent).
 */
describe('browser sign-in (openid-client + hosted pages)', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let web: { client_id: string; client_secret: string };
  let spa: { client_id: string };
  let second: { client_id: string; client_secret: string };
  const email = 'ada@example.test';
  const password = 'Correct-Horse-Battery-9';

  const config = (client: { client_id: string; client_secret?: string }) =>
    oidc.discovery(
      new URL(gh.url),
      client.client_id,
      { redirect_uris: [CALLBACK] },
      client.client_secret ? oidc.ClientSecretBasic(client.client_secret) : oidc.None(),
      { execute: [oidc.allowInsecureRequests] },
    );

  /** The person at the keyboard: identify, password, consent when asked. */
  async function signIn(browser: CookieBrowser, url: URL, opts: { consent?: boolean } = {}): Promise<PageResponse> {
    let page = await browser.go(url.toString());
    for (let i = 0; i < 5 && !page.url.startsWith(CALLBACK); i++) {
      if (page.status !== 200) throw new Error(`page ${page.status}: ${page.body.slice(0, 400)}`);
      if (page.body.includes('action="/sign-in/identify"'))
        page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
      else if (page.body.includes('action="/sign-in/password"'))
        page = await browser.submit(gh.url, page, '/sign-in/password', { password });
      else if (page.body.includes('action="/sign-in/consent"'))
        page = await browser.submit(gh.url, page, '/sign-in/consent', {}, opts.consent === false ? 0 : 1);
      else throw new Error(`unexpected page: ${page.body.slice(0, 400)}`);
    }
    return page;
  }

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body.id;
    const user = await gh.api('POST', `/v1/orgs/${orgId}/users`, {
      token: admin,
      body: { email, password, name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace', locale: 'en-GB' },
    });
    expect(user.status).toBe(201);
    expect(user.body).toMatchObject({
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      locale: 'en-GB',
    });
    const create = async (body: Record<string, unknown>) => {
      const res = await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: {
          scopes: ['notes:read'],
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [CALLBACK],
          ...body,
        },
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    web = await create({ name: 'web', post_logout_redirect_uris: ['http://127.0.0.1:9/bye'] });
    spa = await create({ name: 'spa', client_type: 'public' });
    second = await create({ name: 'second', consent: 'first_party' });
  });
  afterAll(() => gh?.close());

  it('discovery is a valid OpenID Provider and RFC 8414 document', async () => {
    const c = await config(web);
    const m = c.serverMetadata();
    expect(m).toMatchObject({
      issuer: gh.url,
      authorization_endpoint: `${gh.url}/oauth/authorize`,
      userinfo_endpoint: `${gh.url}/oauth/userinfo`,
      end_session_endpoint: `${gh.url}/oauth/logout`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
    });
    expect(m.grant_types_supported).toContain('authorization_code');
    expect(m.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
    const rfc8414 = await gh.api('GET', '/.well-known/oauth-authorization-server');
    expect(rfc8414.body).toEqual(m);
  });

  it('signs in through the pages: PKCE + state + nonce, ID token, userinfo, refresh, logout', async () => {
    const c = await config(web);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: CALLBACK,
      scope: 'openid email profile notes:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const browser = new CookieBrowser(CALLBACK);
    const first = await browser.go(url.toString());
    expect(first.status).toBe(200);
    expect(first.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    // The email field also offers passkeys in its autofill (docs/sign-in-experience.md#passkeys-on-the-pages).
    expect(first.body).toContain('autocomplete="username webauthn"');
    expect(first.body).not.toMatch(/<script(?![^>]*src=)|style=/);
    const back = await signIn(browser, url);
    const callback = new URL(back.url);
    const handles = [...browser.jar.values()];
    expect(callback.searchParams.get('iss')).toBe(gh.url);
    expect(callback.searchParams.get('state')).toBe(state);
    // The session cookie: host-only, HttpOnly, SameSite=Lax, Path=/.
    expect(browser.jar.has('gatehouse_session')).toBe(true);

    const tokens = await oidc.authorizationCodeGrant(c, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toMatch(/^ghr_/);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: gh.url,
      aud: web.client_id,
      azp: web.client_id,
      nonce,
      email,
      email_verified: false,
      amr: ['pwd'],
      acr: 'urn:gatehouse:acr:pwd',
      org: 'acme',
      org_id: orgId,
    });
    expect(claims.sid).toMatch(/^sid_/);
    expect(typeof claims.auth_time).toBe('number');
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const at = decodeJwt(tokens.access_token);
    expect(at).toMatchObject({
      tier: 'user',
      sub: claims.sub,
      client_id: web.client_id,
      scope: 'openid email profile notes:read',
    });
    const atHash = createHash('sha256').update(tokens.access_token).digest().subarray(0, 16).toString('base64url');
    expect(claims.at_hash).toBe(atHash);

    const info = await oidc.fetchUserInfo(c, tokens.access_token, claims.sub);
    expect(info).toEqual({
      sub: claims.sub,
      email,
      email_verified: false,
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      locale: 'en-GB',
      org: 'acme',
      org_id: orgId,
    });
    expect(claims).toMatchObject({ name: 'Ada Lovelace', locale: 'en-GB' });

    const refreshed = await oidc.refreshTokenGrant(c, tokens.refresh_token!);
    expect(decodeJwt(refreshed.access_token).scope).toBe('openid email profile notes:read');
    expect((await oidc.fetchUserInfo(c, refreshed.access_token, claims.sub)).email).toBe(email);

    // An ID token is never a bearer token (both verifiers require at+jwt).
    const asBearer = await fetch(`${gh.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${tokens.id_token}` },
    });
    expect(asBearer.status).toBe(401);

    // RP-initiated logout ends the session: the next sign-in asks for the password again.
    const logout = oidc.buildEndSessionUrl(c, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://127.0.0.1:9/bye',
      state: 'bye-state',
    });
    const out = await browser.request(logout.toString());
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('http://127.0.0.1:9/bye?state=bye-state');
    expect(browser.jar.has('gatehouse_session')).toBe(false);
    const ended = await gh.sql(`SELECT ended_why FROM browser_sessions WHERE id = $1`, [claims.sid]);
    expect(ended).toEqual([{ ended_why: 'logout' }]);
    const actions = (await gh.sql<{ action: string }>(`SELECT action FROM audit_events ORDER BY seq`)).map(
      (r) => r.action,
    );
    for (const a of [
      'session.started',
      'consent.granted',
      'authorization.granted',
      'authorization_code.redeemed',
      'session.ended',
    ])
      expect(actions).toContain(a);
    // No secret of the flow in a log line or an audit row: the code, the session and
    // interaction cookies, the tokens, the password.
    const secrets = [
      callback.searchParams.get('code')!,
      ...handles,
      tokens.access_token,
      tokens.refresh_token!,
      tokens.id_token!,
      password,
    ];
    const audit = JSON.stringify(await gh.sql(`SELECT * FROM audit_events`));
    for (const secret of secrets) {
      expect(gh.logs.filter((l) => l.includes(secret))).toEqual([]);
      expect(audit.includes(secret)).toBe(false);
    }
    const verified = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${gh.url}/.well-known/jwks.json`)), {
      issuer: gh.url,
      audience: web.client_id,
    });
    expect(verified.payload.sub).toBe(claims.sub);
  });

  it('four modes of authorizationCodeGrant; SSO into a second app without a password; max_age', async () => {
    const browser = new CookieBrowser(CALLBACK);
    const c = await config(web);
    // PKCE, no state.
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const back = await signIn(browser, url);
    const t1 = await oidc.authorizationCodeGrant(c, new URL(back.url), { pkceCodeVerifier: verifier });
    expect(t1.claims()!.nonce).toBeUndefined();

    // SSO: the second app (first party) signs in with no page at all.
    const c2 = await config(second);
    const v2 = oidc.randomPKCECodeVerifier();
    const url2 = oidc.buildAuthorizationUrl(c2, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(v2),
      code_challenge_method: 'S256',
      state: 's2',
    });
    const sso = await browser.go(url2.toString());
    expect(sso.url.startsWith(CALLBACK)).toBe(true);
    const t2 = await oidc.authorizationCodeGrant(c2, new URL(sso.url), { pkceCodeVerifier: v2, expectedState: 's2' });
    expect(t2.claims()!.sid).toBe(t1.claims()!.sid);
    expect(t2.claims()!.auth_time).toBe(t1.claims()!.auth_time);
    // Counted: the pages shown for the first app, the SSO answer for the second.
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/gatehouse_authorization_requests_total\{outcome="sign_in"\} [1-9]/);
    expect(metrics).toMatch(/gatehouse_authorization_requests_total\{outcome="code"\} [1-9]/);

    // max_age: a fresh session passes (openid-client checks auth_time against it).
    const v3 = oidc.randomPKCECodeVerifier();
    const url3 = oidc.buildAuthorizationUrl(c2, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(v3),
      code_challenge_method: 'S256',
      max_age: '600',
    });
    const aged = await browser.go(url3.toString());
    const t3 = await oidc.authorizationCodeGrant(c2, new URL(aged.url), { pkceCodeVerifier: v3, maxAge: 600 });
    expect(t3.claims()!.auth_time).toBeDefined();
    // max_age=0 asks for the password again.
    const url4 = oidc.buildAuthorizationUrl(c2, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(v3),
      code_challenge_method: 'S256',
      max_age: '0',
    });
    await new Promise((r) => setTimeout(r, 1100));
    const again = await browser.go(url4.toString());
    expect(again.body).toContain('action="/sign-in/identify"');
  });

  it('a public SPA-style client: PKCE, no secret, refresh only with offline_access', async () => {
    const c = await config(spa);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: CALLBACK,
      scope: 'openid offline_access notes:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'spa',
    });
    const back = await signIn(new CookieBrowser(CALLBACK), url);
    const tokens = await oidc.authorizationCodeGrant(c, new URL(back.url), {
      pkceCodeVerifier: verifier,
      expectedState: 'spa',
    });
    expect(tokens.refresh_token).toMatch(/^ghr_/);
    const refreshed = await oidc.refreshTokenGrant(c, tokens.refresh_token!);
    expect(refreshed.access_token).toBeDefined();
    // Without offline_access a public client gets no refresh token.
    const v2 = oidc.randomPKCECodeVerifier();
    const url2 = oidc.buildAuthorizationUrl(c, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(v2),
      code_challenge_method: 'S256',
    });
    const back2 = await signIn(new CookieBrowser(CALLBACK), url2);
    const t2 = await oidc.authorizationCodeGrant(c, new URL(back2.url), { pkceCodeVerifier: v2 });
    expect(t2.refresh_token).toBeUndefined();
  });

  it('a consent refused goes back to the client as access_denied with state and iss', async () => {
    const c = await config(web);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: CALLBACK,
      scope: 'openid notes:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'deny-me',
      prompt: 'consent',
    });
    const back = await signIn(new CookieBrowser(CALLBACK), url, { consent: false });
    const params = new URL(back.url).searchParams;
    expect(Object.fromEntries(params)).toEqual({
      error: 'access_denied',
      error_description: 'The user declined.',
      state: 'deny-me',
      iss: gh.url,
    });
    void randomBytes;
  });
});
