import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import type { CDPSession, Page } from 'playwright-core';
import { hasChromium, launch, type Browser } from './console/browser';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

const ci = process.env.CI === 'true';
if (ci && !hasChromium()) throw new Error('CI=true but /usr/bin/chromium is missing: .ci/run installs it');
const maybe = hasChromium() ? describe : describe.skip;

/**
 * Passkeys on the hosted pages in Chromium (docs/sign-in-experience.md#passkeys-on-the-pages),
 * with a CDP virtual authenticator, on `localhost` (the RP ID a 127.0.0.1 issuer serves
 * passkeys on): a passkey registered at sign-in where the org requires one, sign-out, the
 * passkey alone on the identifier page, password + passkey; a replayed answer and a wrong
 * origin refused and audited, with no challenge in any row, log or page.
 */
maybe('passkeys on the hosted pages (Chromium, virtual authenticator)', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let admin: string;
  let base: string;
  let callbackServer: Server;
  let callback = '';
  let org: { id: string };
  let app: { client_id: string; client_secret: string };
  const password = 'Pages-Passkey-Pass-42';

  const settings = (passkeys: string) =>
    gh.api('PUT', `/v1/orgs/${org.id}/sign-in-settings`, {
      token: admin,
      body: { passkeys, mfa: 'optional', signup: 'off', signup_domains: [], default_locale: 'en' },
    });

  /** Starts a sign-in at the authorization endpoint; returns the PKCE verifier. */
  const authorize = async () => {
    const verifier = randomBytes(32).toString('base64url');
    await page.goto(
      `${base}/oauth/authorize?${new URLSearchParams({
        client_id: app.client_id,
        redirect_uri: callback,
        response_type: 'code',
        scope: 'openid a',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      })}`,
    );
    return verifier;
  };

  /** Waits for the client's callback and redeems the code: the token response. */
  const redeem = async (verifier: string) => {
    await page
      .waitForURL((u) => u.toString().startsWith(callback), { timeout: 10_000 })
      .catch(async () => {
        throw new Error(
          `stuck at ${page.url()}: ${browser.problems.join(' | ')} ${(await page.content()).slice(0, 1500)}`,
        );
      });
    const code = new URL(page.url()).searchParams.get('code')!;
    const res = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: callback,
        code_verifier: verifier,
      }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { access_token: string; id_token: string; refresh_token: string };
  };

  const throughPassword = async (email: string) => {
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
  };

  const signOut = async () => {
    await page.goto(`${base}/oauth/logout`);
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
  };

  /** Whether the next pages see conditional mediation (the init script hides it when off). */
  const autofill = (on: boolean) => page.evaluate(`localStorage.setItem('no-autofill', '${on ? '0' : '1'}')`);

  const rejections = () =>
    gh.sql<{ reason: string; details: unknown }>(
      `SELECT reason, details FROM audit_events WHERE action = 'passkey.rejected' ORDER BY seq`,
    );

  /**
   * A first-factor assertion made by the page's own WebAuthn, not posted: the CSRF token of
   * the page it is on, the options it asked for, the credential's JSON.
   */
  const assertion = (): Promise<{ csrf: string; response: Record<string, unknown> }> =>
    page.evaluate(`(async () => {
      const csrf = document.querySelector('#passkey-form input[name=csrf]').value;
      const body = new URLSearchParams({ csrf });
      const options = await (await fetch('/sign-in/passkey/options', { method: 'POST', body })).json();
      const cred = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      return { csrf, response: cred.toJSON() };
    })()`);
  const postPasskey = (csrf: string, response: unknown): Promise<{ status: number; body: string }> =>
    page.evaluate(`(async () => {
      const body = new URLSearchParams({ csrf: ${JSON.stringify(csrf)}, response: ${JSON.stringify(JSON.stringify(response))} });
      const r = await fetch('/sign-in/passkey', { method: 'POST', body, redirect: 'manual' });
      // A 303 is an opaque redirect to a page's fetch.
      return { status: r.type === 'opaqueredirect' ? 303 : r.status, body: await r.text() };
    })()`);

  beforeAll(async () => {
    callbackServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>back</title><p>back</p>');
    });
    await new Promise<void>((r) => callbackServer.listen(0, '127.0.0.1', r));
    callback = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/cb`;
    gh = await startGatehouse();
    base = gh.url.replace('127.0.0.1', 'localhost');
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'pk-pages', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: {
          name: 'web',
          scopes: ['a'],
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [callback],
          consent: 'first_party',
        },
      })
    ).body;
    for (const email of ['ada@pk.test', 'bob@pk.test']) {
      await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } });
    }
    browser = await launch();
    page = await browser.context.newPage();
    // A browser without conditional mediation, when the test says so: @simplewebauthn/browser
    // then reports no autofill support and the page offers the button alone.
    await page.addInitScript(`if (localStorage.getItem('no-autofill') === '1' && window.PublicKeyCredential)
      Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: undefined });`);
    await page.goto(`${base}/healthz`);
    await autofill(false);
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
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
    callbackServer?.closeAllConnections();
    await new Promise((r) => callbackServer?.close(r));
  });

  it('registers a passkey at sign-in where the org requires one, then signs in with it alone and as the second factor', async () => {
    expect((await settings('required')).status).toBe(200);
    // The password alone buys nothing: the page asks for a passkey to be created.
    let verifier = await authorize();
    await throughPassword('ada@pk.test');
    await page.getByRole('heading', { name: 'Add a passkey' }).waitFor();
    expect(await page.textContent('main')).toContain('pk-pages requires a passkey');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    let tokens = await redeem(verifier);
    expect(decodeJwt(tokens.id_token).amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    const [registered] = await gh.sql<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE action = 'passkey.registered'`,
    );
    expect(registered!.details).toMatchObject({ during: 'sign-in', via: 'browser' });

    // Signed out, the passkey alone through conditional UI: the identifier page asks for any
    // passkey as it loads, offered in the email field's autofill; the virtual authenticator
    // answers it with its one credential, so nothing is typed or clicked.
    await signOut();
    await autofill(true);
    verifier = await authorize();
    tokens = await redeem(verifier);
    const [ada] = await gh.sql<{ id: string }>(`SELECT id FROM users WHERE email = 'ada@pk.test'`);
    expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: ada!.id, amr: ['hwk', 'user', 'mfa'] });

    // In a browser without conditional mediation: the button.
    await signOut();
    await autofill(false);
    verifier = await authorize();
    expect(await page.getAttribute('#email', 'autocomplete')).toBe('username webauthn');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    tokens = await redeem(verifier);
    expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: ada!.id, amr: ['hwk', 'user', 'mfa'] });

    // Signed out again: the password, then the passkey as the second factor.
    await signOut();
    verifier = await authorize();
    await throughPassword('ada@pk.test');
    await page.getByRole('heading', { name: 'Confirm with your passkey' }).waitFor();
    await page.getByRole('button', { name: 'Use passkey' }).click();
    tokens = await redeem(verifier);
    const signedIn = decodeJwt(tokens.id_token);
    expect(signedIn.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ amr: signedIn.amr, auth_time: signedIn.auth_time });

    // An hour later, the session signs the person in to the app again without asking; the
    // tokens refreshed from that still say how, and when, the person signed in.
    await gh.sql(`UPDATE browser_sessions SET auth_time = auth_time - interval '1 hour'`);
    verifier = await authorize();
    tokens = await redeem(verifier);
    const again = decodeJwt(tokens.id_token);
    expect(again.auth_time).toBe((signedIn.auth_time as number) - 3600);
    const refreshed = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
    const claims = decodeJwt(((await refreshed.json()) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ amr: ['pwd', 'hwk', 'user', 'mfa'], auth_time: again.auth_time });
    expect(browser.problems).toEqual([]);
  });

  it('refuses a replayed assertion and one from a wrong origin, audits why, and shows no challenge anywhere', async () => {
    await signOut();
    await autofill(false);
    await authorize();
    await page.locator('#passkey-form').waitFor({ state: 'attached' });
    const first = await assertion();
    expect((await postPasskey(first.csrf, first.response)).status).toBe(303);

    // The same answer again, in a new sign-in: its challenge is spent.
    await signOut();
    await authorize();
    const csrf = (await assertion()).csrf;
    const replay = await postPasskey(csrf, first.response);
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('That passkey could not be used');

    // A fresh assertion whose client data names another origin.
    const fresh = await assertion();
    const response = fresh.response.response as Record<string, string>;
    const client = JSON.parse(Buffer.from(response.clientDataJSON!, 'base64url').toString('utf8')) as Record<
      string,
      string
    >;
    response.clientDataJSON = Buffer.from(JSON.stringify({ ...client, origin: 'https://evil.example' })).toString(
      'base64url',
    );
    const wrong = await postPasskey(fresh.csrf, fresh.response);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That passkey could not be used');

    const rows = await rejections();
    expect(rows.map((r) => r.reason)).toEqual([
      'challenge already used or expired',
      expect.stringContaining('origin "https://evil.example"'),
    ]);
    expect(rows.every((r) => (r.details as { via?: string }).via === 'browser')).toBe(true);
    // No challenge (a ghw_ handle, or its base64url as the browser signs it) in any row, log or answer.
    const everything =
      JSON.stringify(await gh.sql(`SELECT * FROM audit_events`)) + gh.logs.join('\n') + replay.body + wrong.body;
    expect(everything).not.toMatch(/ghw_/);
    expect(client.challenge).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(everything).not.toContain(client.challenge);
  });
  it('offers and takes no passkey where the org turned them off', async () => {
    await signOut();
    expect((await settings('off')).status).toBe(200);
    await authorize();
    await page.getByLabel('Email address').waitFor();
    expect(await page.getAttribute('#email', 'autocomplete')).toBe('username');
    expect(await page.locator('#passkey-form').count()).toBe(0);
    const answers = (await page.evaluate(`(async () => {
      const csrf = document.querySelector('input[name=csrf]').value;
      const options = await fetch('/sign-in/passkey/options', { method: 'POST', body: new URLSearchParams({ csrf }) });
      const posted = await fetch('/sign-in/passkey', {
        method: 'POST',
        body: new URLSearchParams({ csrf, response: '{"id":"x","response":{}}' }),
        redirect: 'manual',
      });
      return [options.status, posted.status];
    })()`)) as number[];
    expect(answers).toEqual([403, 401]);
  });
});
