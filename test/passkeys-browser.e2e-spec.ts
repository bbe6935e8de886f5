import { decodeJwt } from 'jose';
import type { CDPSession, Page } from 'playwright-core';
import { hasChromium, launch, type Browser } from './console/browser';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

const ci = process.env.CI === 'true';
if (ci && !hasChromium()) throw new Error('CI=true but /usr/bin/chromium is missing: .ci/run installs it');
const maybe = hasChromium() ? describe : describe.skip;

/**
 * Passkeys with a real browser (docs/sign-in-experience.md#passkeys): Chromium's WebAuthn
 * implementation with a CDP virtual authenticator (a platform authenticator with resident
 * keys and user verification) on the issuer's localhost origin, against the API routes the
 * hosted pages call.
 */
maybe('passkeys in Chromium with a virtual authenticator', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let admin: string;
  let org: { id: string };
  let app: { client_id: string };
  const password = 'User-Strong-Pass-42';

  // The browser's own JSON forms of WebAuthn (parse…FromJSON, toJSON), as @simplewebauthn/browser uses.
  // Evaluated as text: the test's TypeScript has no DOM types, the page has the real thing.
  const ceremony = (call: 'create' | 'get', options: unknown) =>
    page.evaluate(`(async (o) => {
      const parse = ${call === 'create' ? "'parseCreationOptionsFromJSON'" : "'parseRequestOptionsFromJSON'"};
      const cred = await navigator.credentials.${call}({ publicKey: PublicKeyCredential[parse](o) });
      return cred.toJSON();
    })(${JSON.stringify(options)})`);
  const create = (options: unknown) => ceremony('create', options);
  const get = (options: unknown) => ceremony('get', options);
  const login = (email: string) =>
    gh.api('POST', `/v1/orgs/${org.id}/users/login`, { body: { client_id: app.client_id, email, password } });
  const settings = (passkeys: string) =>
    gh.api('PUT', `/v1/orgs/${org.id}/sign-in-settings`, {
      token: admin,
      body: { passkeys, mfa: 'optional', signup: 'off', signup_domains: [], default_locale: 'en' },
    });

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'web', scopes: ['a'] },
      })
    ).body;
    for (const email of ['ada@acme.test', 'bob@acme.test']) {
      await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } });
    }
    browser = await launch();
    page = await browser.context.newPage();
    // Any page of the origin will do: WebAuthn needs the RP's origin (http://localhost is a secure context).
    await page.goto(`${gh.url.replace('127.0.0.1', 'localhost')}/healthz`);
    cdp = await browser.context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    }));
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  it('registers a passkey, signs in with it alone, then with password + passkey; required passkeys are enforced', async () => {
    // Register, signed in with the password.
    const session = (await login('ada@acme.test')).body.access_token as string;
    const regOptions = await gh.api('POST', '/v1/me/passkeys/registration-options', { token: session });
    const registered = await gh.api('POST', '/v1/me/passkeys', {
      token: session,
      body: { response: await create(regOptions.body), name: 'Chromium' },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ name: 'Chromium', transports: ['internal'] });

    // "Sign out" (a new sign-in, nothing carried over), then the passkey alone: no identifier typed.
    const options = await gh.api('POST', `/v1/orgs/${org.id}/users/login/passkey/options`, {
      body: { client_id: app.client_id },
    });
    expect(options.body.allowCredentials).toEqual([]);
    const alone = await gh.api('POST', `/v1/orgs/${org.id}/users/login/passkey`, {
      body: { client_id: app.client_id, response: await get(options.body) },
    });
    expect(alone.status).toBe(200);
    const claims = decodeJwt(alone.body.access_token);
    expect(claims.amr).toEqual(['hwk', 'user', 'mfa']);
    const [ada] = await gh.sql<{ id: string }>(`SELECT id FROM users WHERE email = 'ada@acme.test'`);
    expect(claims.sub).toBe(ada!.id);

    // Password, then the passkey as the second factor.
    const step = await login('ada@acme.test');
    expect(step.body.methods).toEqual(['passkey']);
    const second = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa/passkey-options`, {
      body: { mfa_token: step.body.mfa_token },
    });
    const done = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa`, {
      body: { mfa_token: step.body.mfa_token, passkey: await get(second.body) },
    });
    expect(done.status).toBe(200);
    expect(decodeJwt(done.body.access_token).amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);

    // An org that requires passkeys: a password alone buys no token; a user without one registers it.
    expect((await settings('required')).status).toBe(200);
    const bob = await login('bob@acme.test');
    expect(bob.body).toMatchObject({ mfa_enrollment_required: true, methods: ['passkey'] });
    expect(bob.body.access_token).toBeUndefined();
    const bobOptions = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa/passkey-registration-options`, {
      body: { mfa_token: bob.body.mfa_token },
    });
    const bobDone = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa`, {
      body: { mfa_token: bob.body.mfa_token, passkey_registration: await create(bobOptions.body) },
    });
    expect(bobDone.status).toBe(200);
    // Both passkeys live as resident credentials on the virtual authenticator.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(2);
    expect(credentials.every((c) => c.isResidentCredential)).toBe(true);
    const counters = await gh.sql<{ counter: string }>(`SELECT counter FROM passkeys ORDER BY created_at`);
    expect(counters.map((c) => Number(c.counter))).toEqual([expect.any(Number), expect.any(Number)]);
  });
});
