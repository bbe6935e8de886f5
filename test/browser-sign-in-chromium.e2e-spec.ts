import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { DESKTOP, hasChromium, launch, PHONE, type Browser } from './console/browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, totp, type TestGatehouse } from './support/gatehouse';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Every axe violation, whatever its impact: the pages must have none (docs/sign-in.md#pages). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(`if (!window.axe) { ${AXE_SOURCE}\n }`);
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations)`,
  )) as { id: string; impact: string | null; nodes: { target: string[] }[] }[];
  return violations.map((v) => `${v.impact} ${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** axe at both viewports, desktop last (the size the rest of the test uses). */
async function accessible(page: Page): Promise<void> {
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    expect({ url: page.url(), size, violations: await axeViolations(page) }).toEqual({
      url: page.url(),
      size,
      violations: [],
    });
  }
}

const run = hasChromium() ? describe : describe.skip;

/**
 * The hosted pages in real Chromium (playwright-core, /usr/bin/chromium): every page passes
 * axe-core with zero violations at 1280×800 and 390×844, no CSP report, and a person signs in
 * and consents with the keyboard alone; the code then redeems at /oauth/token.
 */
run('browser sign-in in Chromium', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let callbackServer: Server;
  let callback = '';
  let app: { client_id: string; client_secret: string };
  let admin: string;
  const email = 'kb@example.test';
  const password = 'Keyboard-Only-Sign-In-1';

  beforeAll(async () => {
    callbackServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>back</title><p>back</p>');
    });
    await new Promise<void>((r) => callbackServer.listen(0, '127.0.0.1', r));
    callback = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/cb`;
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'chromium', display_name: 'C' } }))
      .body.id;
    await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password } });
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: {
          password_login: true,
          name: 'Notes',
          scopes: ['notes:read'],
          grant_types: ['authorization_code'],
          redirect_uris: [callback],
          client_uri: 'https://notes.example/',
          policy_uri: 'https://notes.example/privacy',
        },
      })
    ).body;
    browser = await launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
    callbackServer?.closeAllConnections();
    await new Promise((r) => callbackServer?.close(r));
  });

  it('signs in and consents with the keyboard alone; every page passes axe at both sizes', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const page = await browser.context.newPage();
    await page.goto(
      `${gh.url}/oauth/authorize?${new URLSearchParams({
        client_id: app.client_id,
        redirect_uri: callback,
        response_type: 'code',
        scope: 'openid email notes:read',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'kb',
      })}`,
    );
    // The email field has focus on arrival: typing starts at once.
    await page.waitForFunction('document.activeElement && document.activeElement.id === "email"');
    await accessible(page);
    await page.keyboard.type(email);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${gh.url}/sign-in`);
    await page.getByLabel('Password').waitFor();
    await accessible(page);
    await page.getByLabel('Password').focus();
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await accessible(page);
    // Tab to "Allow" and press Enter: no mouse anywhere.
    const seen: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      const text = await page.evaluate('document.activeElement ? document.activeElement.textContent.trim() : null');
      seen.push(text);
      if (text === 'Allow') break;
    }
    const focused = await page.evaluate('document.activeElement && document.activeElement.outerHTML');
    await page.keyboard.press('Enter');
    await page
      .waitForURL((u) => u.toString().startsWith(callback), { timeout: 5000 })
      .catch(async () => {
        throw new Error(
          `stuck at ${page.url()}: ${browser.problems.join(' | ')} focus=${focused} seen=${JSON.stringify(seen)} ${(await page.content()).slice(0, 1500)}`,
        );
      });
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('kb');
    expect(back.searchParams.get('iss')).toBe(gh.url);
    const res = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: back.searchParams.get('code')!,
        redirect_uri: callback,
        code_verifier: verifier,
      }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id_token?: string }).id_token).toBeDefined();
    await page.close();
    expect(browser.problems).toEqual([]);
  });

  it('the error page and the signed-out page pass axe at both sizes', async () => {
    const page = await browser.context.newPage();
    const res = await page.goto(
      `${gh.url}/oauth/authorize?client_id=${app.client_id}&redirect_uri=https://evil.example/`,
    );
    expect(res!.status()).toBe(400);
    await page.getByRole('heading', { name: 'Something went wrong' }).waitFor();
    expect(await page.textContent('dd')).toBe(res!.headers()['x-request-id']);
    await accessible(page);
    await page.goto(`${gh.url}/oauth/logout`);
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await accessible(page);
    await page.close();
    expect(browser.problems).toEqual([]);
  });

  it('the two-step page (recovery code disclosure open too) and the setup page pass axe at both sizes', async () => {
    const authorize = (clientId: string) =>
      `${gh.url}/oauth/authorize?${new URLSearchParams({
        client_id: clientId,
        redirect_uri: callback,
        response_type: 'code',
        scope: 'openid',
        code_challenge: createHash('sha256').update(randomBytes(32)).digest('base64url'),
        code_challenge_method: 'S256',
      })}`;
    const throughPassword = async (page: Page, clientId: string, who: string) => {
      await page.goto(authorize(clientId));
      await page.getByLabel('Email address').fill(who);
      await page.keyboard.press('Enter');
      await page.getByLabel('Password').waitFor();
      await page.getByLabel('Password').fill(password);
      await page.keyboard.press('Enter');
    };
    const makeOrg = async (name: string, mfa: string, who: string) => {
      const orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name, display_name: name } })).body.id;
      await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email: who, password } });
      const put = await gh.api('PUT', `/v1/orgs/${orgId}/sign-in-settings`, {
        token: admin,
        body: { mfa, passkeys: 'optional', signup: 'off', signup_domains: [], default_locale: 'en' },
      });
      expect(put.status).toBe(200);
      const created = await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: {
          password_login: true,
          name: 'Notes',
          scopes: ['notes:read'],
          grant_types: ['authorization_code'],
          redirect_uris: [callback],
          consent: 'first_party',
        },
      });
      expect(created.status).toBe(201);
      return { orgId, clientId: created.body.client_id as string };
    };

    const two = await makeOrg('twostep', 'optional', 'otp@example.test');
    const me = (
      await gh.api('POST', `/v1/orgs/${two.orgId}/users/login`, {
        body: { client_id: two.clientId, email: 'otp@example.test', password },
      })
    ).body.access_token as string;
    const secret = (await gh.api('POST', '/v1/me/mfa/enroll', { token: me })).body.secret as string;
    expect(
      (await gh.api('POST', '/v1/me/mfa/activate', { token: me, body: { code: await totp(secret, -1) } })).status,
    ).toBe(200);
    const page = await browser.context.newPage();
    await throughPassword(page, two.clientId, 'otp@example.test');
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await page.waitForFunction('document.activeElement && document.activeElement.id === "code"');
    await accessible(page);
    await page.getByText('Use a recovery code instead').click();
    await page.getByLabel('Recovery code').waitFor();
    await accessible(page);
    await page.getByLabel('Verification code').fill(await totp(secret, 0));
    await page.getByLabel('Verification code').press('Enter');
    await page.waitForURL((u) => u.toString().startsWith(callback));

    // mfa: required, passkeys allowed, none yet: the page registers one; on 127.0.0.1 (not a
    // WebAuthn origin) it says this browser cannot, and only Cancel is offered.
    const required = await makeOrg('required', 'required', 'none@example.test');
    await throughPassword(page, required.clientId, 'none@example.test');
    await page.getByRole('heading', { name: 'Add a passkey' }).waitFor();
    await page.getByText('This browser cannot use passkeys here').waitFor();
    expect(await page.isHidden('#passkey-button')).toBe(true);
    await accessible(page);
    await page.close();
    expect(browser.problems).toEqual([]);
  });
});
