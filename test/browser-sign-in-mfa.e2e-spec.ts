import * as oidc from 'openid-client';
import { CookieBrowser, type PageResponse } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, totp, type TestGatehouse } from './support/gatehouse';

const CALLBACK = 'http://127.0.0.1:9/cb';

/**
 * Second factors on the hosted pages (docs/sign-in.md#second-factors-on-the-pages):
 * a user with TOTP active meets the code page after the password and gets no code without it;
 * a recovery code is the alternative, spent once; an org policy the pages cannot satisfy
 * (`mfa: required` without a factor, `passkeys: required`) stops the sign-in with a page.
 */
describe('browser sign-in with a second factor', () => {
  let gh: TestGatehouse;
  let admin: string;
  let acme: { id: string };
  let globex: { id: string };
  let web: { client_id: string; client_secret: string };
  let globexWeb: { client_id: string; client_secret: string };
  let secret: string;
  let recovery: string[];
  const password = 'User-Strong-Pass-42';
  const mia = 'mia@acme.test';
  const noah = 'noah@globex.test';

  const settings = (orgId: string, body: { mfa: string; passkeys: string }) =>
    gh.api('PUT', `/v1/orgs/${orgId}/sign-in-settings`, {
      token: admin,
      body: { ...body, signup: 'off', signup_domains: [], default_locale: 'en' },
    });

  const config = (client: { client_id: string; client_secret: string }) =>
    oidc.discovery(
      new URL(gh.url),
      client.client_id,
      { redirect_uris: [CALLBACK] },
      oidc.ClientSecretBasic(client.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );

  /** A fresh browser through identify and password; the page after the password. */
  async function throughPassword(client: { client_id: string; client_secret: string }, email: string) {
    const c = await config(client);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: CALLBACK,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'st',
    });
    const browser = new CookieBrowser(CALLBACK);
    let page = await browser.go(url.toString());
    page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
    page = await browser.submit(gh.url, page, '/sign-in/password', { password });
    const exchange = (back: PageResponse) =>
      oidc.authorizationCodeGrant(c, new URL(back.url), { pkceCodeVerifier: verifier, expectedState: 'st' });
    return { browser, page, exchange };
  }

  const grants = async () =>
    Number(
      (await gh.sql<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE action = 'authorization.granted'`))[0]!
        .n,
    );

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    acme = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    globex = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'Globex' } }))
      .body;
    const app = async (orgId: string) => {
      const res = await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: {
          password_login: true,
          name: 'web',
          scopes: ['notes:read'],
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [CALLBACK],
          consent: 'first_party',
        },
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    web = await app(acme.id);
    globexWeb = await app(globex.id);
    for (const [orgId, email] of [
      [acme.id, mia],
      [globex.id, noah],
    ] as const) {
      expect(
        (await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password } })).status,
      ).toBe(201);
    }
    // Mia turns on TOTP through the API, as a user does from an application.
    const me = (
      await gh.api('POST', `/v1/orgs/${acme.id}/users/login`, {
        body: { client_id: web.client_id, email: mia, password },
      })
    ).body.access_token as string;
    secret = (await gh.api('POST', '/v1/me/mfa/enroll', { token: me })).body.secret;
    const activated = await gh.api('POST', '/v1/me/mfa/activate', {
      token: me,
      body: { code: await totp(secret, -1) },
    });
    expect(activated.status).toBe(200);
    recovery = activated.body.recovery_codes;
  });
  afterAll(() => gh?.close());

  it('a user with TOTP active gets no code without it; a wrong code is refused; the right one completes', async () => {
    const before = await grants();
    const { browser, page, exchange } = await throughPassword(web, mia);
    expect(page.status).toBe(200);
    expect(page.body).toContain('action="/sign-in/mfa"');
    expect(page.body).toContain('autocomplete="one-time-code"');
    expect(page.body).toContain('inputmode="numeric"');
    expect(page.body).toContain('Use a recovery code instead');
    expect(page.body).not.toMatch(/<script|style=/);

    // Nothing else moves the sign-in on: the page again, a password again, a consent.
    for (const action of ['/sign-in/password', '/sign-in/consent', '/sign-in/identify']) {
      const csrf = CookieBrowser.forms(page)[0]!.fields.csrf!;
      const res = await browser.go(new URL(action, gh.url).toString(), {
        form: { csrf, password, decision: 'allow', email: mia },
      });
      expect(res.url.startsWith(CALLBACK)).toBe(false);
      expect(res.body).toContain('action="/sign-in/mfa"');
    }
    expect((await browser.go(`${gh.url}/sign-in`)).body).toContain('action="/sign-in/mfa"');
    expect(await grants()).toBe(before);

    const wrong = await browser.submit(gh.url, page, '/sign-in/mfa', { code: '000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That code is not valid');
    expect(wrong.body).toContain('aria-invalid="true"');
    expect(await grants()).toBe(before);
    const [failure] = await gh.sql<{ outcome: string; reason: string }>(
      `SELECT outcome, reason FROM audit_events WHERE action = 'user.login.mfa' ORDER BY seq DESC LIMIT 1`,
    );
    expect(failure).toEqual({ outcome: 'failure', reason: 'invalid code' });

    const back = await browser.submit(gh.url, wrong, '/sign-in/mfa', { code: await totp(secret, 0) });
    expect(back.url.startsWith(CALLBACK)).toBe(true);
    const tokens = await exchange(back);
    expect(tokens.claims()).toMatchObject({ email: mia, amr: ['pwd', 'otp', 'mfa'], acr: 'urn:gatehouse:acr:mfa' });
    const [success] = await gh.sql<{ outcome: string; details: Record<string, unknown> }>(
      `SELECT outcome, details FROM audit_events WHERE action = 'user.login.mfa' ORDER BY seq DESC LIMIT 1`,
    );
    expect(success).toEqual({ outcome: 'success', details: { client_id: web.client_id, factor: 'totp' } });

    // The same code in a new sign-in is a replay.
    const again = await throughPassword(web, mia);
    const replay = await again.browser.submit(gh.url, again.page, '/sign-in/mfa', { code: await totp(secret, 0) });
    expect(replay.status).toBe(401);
  });

  it('under mfa: required a user with TOTP meets the code page; a recovery code works once', async () => {
    expect((await settings(acme.id, { mfa: 'required', passkeys: 'optional' })).status).toBe(200);
    const { browser, page, exchange } = await throughPassword(web, mia);
    expect(page.body).toContain('action="/sign-in/mfa"');
    // The recovery code goes through the second form of the page (inside the disclosure).
    const back = await browser.submit(gh.url, page, '/sign-in/mfa', { code: ` ${recovery[0]!.toUpperCase()} ` }, 1);
    expect(back.url.startsWith(CALLBACK)).toBe(true);
    expect((await exchange(back)).claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    const [used] = await gh.sql<{ details: { remaining: number } }>(
      `SELECT details FROM audit_events WHERE action = 'user.recovery_code.used' ORDER BY seq DESC LIMIT 1`,
    );
    expect(used!.details.remaining).toBe(9);

    const second = await throughPassword(web, mia);
    const spent = await second.browser.submit(gh.url, second.page, '/sign-in/mfa', { code: recovery[0]! }, 1);
    expect(spent.status).toBe(401);
    expect(spent.url.startsWith(CALLBACK)).toBe(false);
  });

  it('mfa: required without a factor the pages can set up stops the sign-in with a page, and nothing posted gets past it', async () => {
    // With passkeys allowed the pages would register one (test/passkeys-pages.e2e-spec.ts); off, nothing is left.
    expect((await settings(globex.id, { mfa: 'required', passkeys: 'off' })).status).toBe(200);
    const before = await grants();
    const { browser, page } = await throughPassword(globexWeb, noah);
    expect(page.status).toBe(403);
    expect(page.body).toContain('Set up a second factor');
    expect(page.body).toContain('Your organization requires a second step');
    expect(page.body).toMatch(/Request ID<\/dt>\s*<dd>[^<]+<\/dd>/);
    expect(page.body).not.toMatch(/at \S+ \(|Error:/);
    expect(page.body).not.toContain('action="/sign-in/mfa_setup"');
    const csrf = CookieBrowser.forms(page)[0]!.fields.csrf!;
    for (const action of ['/sign-in/mfa_setup', '/sign-in/mfa', '/sign-in/consent']) {
      const res = await browser.go(new URL(action, gh.url).toString(), {
        form: { csrf, code: '123456', decision: 'allow' },
      });
      expect(res.url.startsWith(CALLBACK)).toBe(false);
      expect(res.status).toBe(403);
    }
    expect(await grants()).toBe(before);
    const [refusal] = await gh.sql<{ outcome: string; reason: string }>(
      `SELECT outcome, reason FROM audit_events WHERE action = 'user.login' ORDER BY seq DESC LIMIT 1`,
    );
    expect(refusal).toEqual({ outcome: 'failure', reason: 'second factor required that the hosted pages cannot take' });
    // The way out is back to the application, refused.
    const out = await browser.submit(gh.url, page, '/sign-in/cancel');
    expect(new URL(out.url).searchParams.get('error')).toBe('access_denied');
  });

  it('passkeys: required asks a password-and-TOTP user for a passkey; neither a code nor a forged answer gets past it', async () => {
    expect((await settings(acme.id, { mfa: 'optional', passkeys: 'required' })).status).toBe(200);
    const before = await grants();
    const { browser, page } = await throughPassword(web, mia);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Add a passkey');
    expect(page.body).toContain('action="/sign-in/passkey_setup"');
    expect(page.body).not.toContain('action="/sign-in/mfa"');
    const csrf = CookieBrowser.forms(page)[0]!.fields.csrf!;
    const forged = await browser.go(new URL('/sign-in/passkey_setup', gh.url).toString(), {
      form: { csrf, response: JSON.stringify({ id: 'x', response: { clientDataJSON: 'e30' } }) },
    });
    expect(forged.status).toBe(401);
    expect(forged.body).toContain('The passkey could not be added');
    const code = await browser.go(new URL('/sign-in/mfa', gh.url).toString(), { form: { csrf, code: '123456' } });
    expect(code.url.startsWith(CALLBACK)).toBe(false);
    expect(await grants()).toBe(before);
    const [rejected] = await gh.sql<{ reason: string }>(
      `SELECT reason FROM audit_events WHERE action = 'passkey.rejected' ORDER BY seq DESC LIMIT 1`,
    );
    expect(rejected!.reason).toBe('unknown challenge');
  });

  it('with mfa: off the password is enough, as at the API', async () => {
    expect((await settings(acme.id, { mfa: 'off', passkeys: 'optional' })).status).toBe(200);
    const { page, exchange } = await throughPassword(web, mia);
    expect(page.url.startsWith(CALLBACK)).toBe(true);
    expect((await exchange(page)).claims()!.amr).toEqual(['pwd']);
  });

  it('wrong codes count against the API limit per user: the page says to wait, and even the right code waits', async () => {
    expect((await settings(acme.id, { mfa: 'optional', passkeys: 'optional' })).status).toBe(200);
    const { browser, page } = await throughPassword(web, mia);
    let res = page;
    let tries = 0;
    while (res.status !== 429 && tries < 11) {
      res = await browser.submit(gh.url, res, '/sign-in/mfa', { code: '000000' });
      tries++;
    }
    // Ten attempts per user per 5 minutes, earlier tests' attempts included.
    expect(res.status).toBe(429);
    expect(tries).toBeLessThanOrEqual(10);
    expect(res.body).toContain('Too many attempts');
    const right = await browser.submit(gh.url, res, '/sign-in/mfa', { code: await totp(secret, 1) });
    expect(right.status).toBe(429);
    expect(right.url.startsWith(CALLBACK)).toBe(false);
  });
});
