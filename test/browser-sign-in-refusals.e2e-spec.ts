import { createHash, randomBytes } from 'node:crypto';
import { CookieBrowser, type PageResponse } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

const CALLBACK = 'https://app.example/cb';

/**
 * One test per refusal of browser sign-in (docs/sign-in.md#refusals), each asserting what the
 * browser or client gets (a page, a redirect with error and iss, an RFC 6749 §5.2 body) and
 * the audit row that records it.
 */
describe('browser sign-in refusals', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let web: { client_id: string; client_secret: string };
  let other: { client_id: string; client_secret: string };
  let noPkce: { client_id: string; client_secret: string };
  const email = 'grace@example.test';
  const password = 'Correct-Horse-Battery-7';

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  const authorizeUrl = (params: Record<string, string>) =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid notes:read',
      ...params,
    })}`;
  const basic = (c: { client_id: string; client_secret: string }) =>
    `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;
  const token = (c: { client_id: string; client_secret: string }, params: Record<string, string>) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c) },
      body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: CALLBACK, ...params }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
  const audit = async (action: string) =>
    gh
      .sql<{ outcome: string; reason: string | null; details: Record<string, unknown> }>(
        `SELECT outcome, reason, details FROM audit_events WHERE action = $1 ORDER BY seq DESC LIMIT 1`,
        [action],
      )
      .then((r) => r[0]);

  /** Signs in through the pages and returns the callback URL. */
  async function codeFor(browser: CookieBrowser, url: string): Promise<URL> {
    let page: PageResponse = await browser.go(url);
    for (let i = 0; i < 4 && !page.url.startsWith(CALLBACK); i++) {
      if (page.body.includes('/sign-in/identify'))
        page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
      else if (page.body.includes('/sign-in/password'))
        page = await browser.submit(gh.url, page, '/sign-in/password', { password });
      else throw new Error(`unexpected ${page.status}: ${page.body.slice(0, 300)}`);
    }
    return new URL(page.url);
  }

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'refuse', display_name: 'R' } })).body.id;
    await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password } });
    const create = async (body: Record<string, unknown>) =>
      (
        await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
          token: admin,
          body: {
            scopes: ['notes:read'],
            grant_types: ['authorization_code', 'refresh_token'],
            redirect_uris: [CALLBACK],
            consent: 'first_party',
            ...body,
          },
        })
      ).body;
    web = await create({ name: 'web' });
    other = await create({ name: 'other' });
    noPkce = await create({ name: 'legacy-web', require_pkce: false });
  });
  afterAll(() => gh?.close());

  it.each([
    ['unregistered', 'https://evil.example/cb'],
    ['trailing slash', 'https://app.example/cb/'],
    ['other port', 'https://app.example:8443/cb'],
    ['other scheme', 'http://app.example/cb'],
    ['added path', 'https://app.example/cb/more'],
  ])('a %s redirect URI is an error page with a request id, never a redirect', async (_, uri) => {
    const res = await fetch(authorizeUrl({ client_id: web.client_id, redirect_uri: uri, state: 'x' }), {
      redirect: 'manual',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const body = await res.text();
    expect(body).toContain(res.headers.get('x-request-id')!);
    expect(body).toContain('return address it has not registered');
    expect(await audit('authorization.error')).toMatchObject({
      outcome: 'failure',
      details: { error: 'invalid_redirect_uri', shown: 'page' },
    });
  });

  it('an unknown client is an error page', async () => {
    const res = await fetch(authorizeUrl({ client_id: 'app_01JZZZZZZZZZZZZZZZZZZZZZZZ' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('not known to this sign-in service');
  });

  it('plain PKCE is refused back to the client with state and iss', async () => {
    const res = await fetch(
      authorizeUrl({
        client_id: web.client_id,
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'plain',
        state: 'st',
      }),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(303);
    const loc = new URL(res.headers.get('location')!);
    expect(`${loc.origin}${loc.pathname}`).toBe(CALLBACK);
    expect(loc.searchParams.get('error')).toBe('invalid_request');
    expect(loc.searchParams.get('state')).toBe('st');
    expect(loc.searchParams.get('iss')).toBe(gh.url);
    expect(await audit('authorization.error')).toMatchObject({
      details: { error: 'invalid_request', shown: 'redirect' },
    });
  });

  it('an unknown resource is invalid_target', async () => {
    const { challenge } = pkce();
    const res = await fetch(
      authorizeUrl({
        client_id: web.client_id,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: 'https://nope.example/',
      }),
      { redirect: 'manual' },
    );
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_target');
    expect(await audit('authorization.error')).toMatchObject({ details: { error: 'invalid_target' } });
  });

  it('prompt=none without a session answers login_required', async () => {
    const { challenge } = pkce();
    const res = await fetch(
      authorizeUrl({
        client_id: web.client_id,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        prompt: 'none',
        state: 'n',
      }),
      { redirect: 'manual' },
    );
    const loc = new URL(res.headers.get('location')!);
    expect(Object.fromEntries(loc.searchParams)).toEqual({ error: 'login_required', state: 'n', iss: gh.url });
    expect(await audit('authorization.denied')).toMatchObject({ details: { error: 'login_required' } });
  });

  it('a missing verifier, a wrong one, and a verifier for a code without a challenge are invalid_grant', async () => {
    const browser = new CookieBrowser(CALLBACK);
    const { verifier, challenge } = pkce();
    const cb = await codeFor(
      browser,
      authorizeUrl({ client_id: web.client_id, code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    const missing = await token(web, { code: cb.searchParams.get('code')! });
    expect(missing).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });
    expect(await audit('authorization_code.redeemed')).toMatchObject({
      outcome: 'failure',
      reason: 'code_verifier is missing',
    });
    // The refused attempt spent the code: the right verifier no longer helps.
    expect((await token(web, { code: cb.searchParams.get('code')!, code_verifier: verifier })).status).toBe(400);

    const downgrade = await codeFor(browser, authorizeUrl({ client_id: noPkce.client_id }));
    const res = await token(noPkce, { code: downgrade.searchParams.get('code')!, code_verifier: verifier });
    expect(res.body.error).toBe('invalid_grant');
    expect(await audit('authorization_code.redeemed')).toMatchObject({
      reason: 'code_verifier sent for a code issued without PKCE',
    });
  });

  it('a second use of a code is refused and revokes what the first issued', async () => {
    const browser = new CookieBrowser(CALLBACK);
    const { verifier, challenge } = pkce();
    const cb = await codeFor(
      browser,
      authorizeUrl({ client_id: web.client_id, code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    const code = cb.searchParams.get('code')!;
    const first = await token(web, { code, code_verifier: verifier });
    expect(first.status).toBe(200);
    expect(
      (await fetch(`${gh.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${first.body.access_token}` } }))
        .status,
    ).toBe(200);
    const second = await token(web, { code, code_verifier: verifier });
    expect(second.body.error).toBe('invalid_grant');
    expect(await audit('authorization_code.reused')).toMatchObject({ outcome: 'failure' });
    expect(
      (await fetch(`${gh.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${first.body.access_token}` } }))
        .status,
    ).toBe(401);
    const refreshed = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(web) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token }),
    });
    expect(refreshed.status).toBe(400);
  });

  it('a code redeemed by another client, or after it expired, is invalid_grant', async () => {
    const browser = new CookieBrowser(CALLBACK);
    const { verifier, challenge } = pkce();
    const url = authorizeUrl({ client_id: web.client_id, code_challenge: challenge, code_challenge_method: 'S256' });
    const stolen = await codeFor(browser, url);
    const res = await token(other, { code: stolen.searchParams.get('code')!, code_verifier: verifier });
    expect(res.body.error).toBe('invalid_grant');
    expect(await audit('authorization_code.redeemed')).toMatchObject({ reason: 'code issued to another client' });

    const late = await codeFor(browser, url);
    await gh.sql(`UPDATE authorization_codes SET expires_at = now() - interval '1 second' WHERE consumed_at IS NULL`);
    expect((await token(web, { code: late.searchParams.get('code')!, code_verifier: verifier })).body.error).toBe(
      'invalid_grant',
    );
    expect(await audit('authorization_code.redeemed')).toMatchObject({ reason: 'code expired' });
  });

  it('a CSRF token from another interaction is refused with a page', async () => {
    const { challenge } = pkce();
    const url = authorizeUrl({ client_id: web.client_id, code_challenge: challenge, code_challenge_method: 'S256' });
    const a = new CookieBrowser(CALLBACK);
    const b = new CookieBrowser(CALLBACK);
    const pageA = await a.go(url);
    const pageB = await b.go(url);
    const csrfA = CookieBrowser.forms(pageA).find((f) => f.action === '/sign-in/identify')!.fields.csrf;
    const res = await b.submit(gh.url, pageB, '/sign-in/identify', { email, csrf: csrfA });
    expect(res.status).toBe(403);
    expect(res.body).toContain('was not sent from this sign-in page');
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('a stopped org is a page with the reason, its recovery and the decision id, and no code', async () => {
    const paused = await gh.api('POST', `/v1/orgs/${orgId}/pauses`, {
      token: admin,
      body: { target: { type: 'org' }, reason: 'incident review' },
    });
    expect(paused.status).toBe(201);
    const codes = async () => (await gh.sql(`SELECT count(*)::int AS n FROM authorization_codes`))[0];
    const before = await codes();
    try {
      const { challenge } = pkce();
      const browser = new CookieBrowser(CALLBACK);
      let page = await browser.go(
        authorizeUrl({ client_id: web.client_id, code_challenge: challenge, code_challenge_method: 'S256' }),
      );
      page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
      page = await browser.submit(gh.url, page, '/sign-in/password', { password });
      expect(page.status).toBe(403);
      expect(page.body).toMatch(/dec_[0-9A-Z]{26}/);
      expect(page.url.startsWith(CALLBACK)).toBe(false);
      expect(await audit('authorization.denied')).toMatchObject({ outcome: 'failure', reason: expect.any(String) });
      expect(await codes()).toEqual(before);
    } finally {
      await gh.api('POST', `/v1/orgs/${orgId}/pauses/${paused.body.id}/resume`, {
        token: admin,
        body: { review_note: 'done' },
      });
    }
  });
});
