import { createHash, randomBytes } from 'node:crypto';
import { hasChromium, launch, type Browser } from './console/browser';
import { CookieBrowser, type PageResponse } from './support/cookie-browser';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { linkIn, startMailbox } from './support/mailbox';

const CALLBACK = 'https://notes.example/cb';

/**
 * The link pages (docs/sign-in.md#link-pages) in production-mode configuration, through a
 * real SMTP server: the link is read from the message received and completed in Chromium
 * (reset, invitation) or with the cookie-jar browser (sign-up, verification, refusals).
 */
describe('hosted link pages: reset, invitation, sign-up', () => {
  let gh: TestGatehouse;
  let mailbox: Awaited<ReturnType<typeof startMailbox>>;
  let admin: string;
  let orgId: string;
  let app: { client_id: string };
  let browser: Browser | null = null;
  const password = 'Old-Password-4242';
  const newPassword = 'Fresh-Password-1717';

  const login = (email: string, pw: string) =>
    gh.api('POST', `/v1/orgs/${orgId}/users/login`, { body: { client_id: app.client_id, email, password: pw } });
  const authorize = () =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.client_id,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
      code_challenge_method: 'S256',
    })}`;
  const settings = (signup: string, domains: string[] = []) =>
    gh.api('PUT', `/v1/orgs/${orgId}/sign-in-settings`, {
      token: admin,
      body: { passkeys: 'optional', mfa: 'optional', signup, signup_domains: domains, default_locale: 'en' },
    });
  /** No page, log line or audit row may hold a link's token. */
  const secretFree = async (token: string) => {
    expect(gh.logs.join('\n')).not.toContain(token);
    const rows = await gh.sql<{ details: unknown }>('SELECT details FROM audit_events');
    expect(JSON.stringify(rows)).not.toContain(token);
  };

  beforeAll(async () => {
    mailbox = await startMailbox();
    gh = await startGatehouse({
      redis: true,
      env: { GATEHOUSE_SMTP_URL: mailbox.url, GATEHOUSE_MAIL_FROM: 'Acme <id@acme.test>' },
    });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body.id;
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: {
          name: 'Notes',
          scopes: ['notes:read'],
          grant_types: ['authorization_code'],
          redirect_uris: [CALLBACK],
          password_login: true,
        },
      })
    ).body;
    await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email: 'rita@acme.test', password } });
    if (hasChromium()) browser = await launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
    await mailbox?.close();
  });

  (hasChromium() ? it : it.skip)(
    'resets a password in Chromium: Forgot password? → request → the mailed link → new password → done',
    async () => {
      const page = await browser!.context.newPage();
      await page.goto(authorize());
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
      await page.getByLabel('Email address').fill('rita@acme.test');
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      const [mail] = await mailbox.waitFor('rita@acme.test');
      const link = linkIn(mail!);
      expect(link.pathname).toBe(`/sign-in/${orgId}/reset-password`);
      expect(link.searchParams.get('client_id')).toBe(app.client_id);

      await page.goto(link.toString());
      await page.getByLabel('New password').fill('short');
      // The browser's own check (minlength) stops a short one; a weak one of length gets the server's answer.
      await page.getByLabel('New password').fill('aaaaaaaaaaaaaaaa');
      await page.getByRole('button', { name: 'Save the new password' }).click();
      await page.getByText('That password is too weak.').waitFor();
      await page.getByLabel('New password').fill(newPassword);
      await page.getByRole('button', { name: 'Save the new password' }).click();
      await page.getByRole('heading', { name: 'Password changed' }).waitFor();
      expect(browser!.problems).toEqual([]);

      expect((await login('rita@acme.test', newPassword)).status).toBe(200);
      expect((await login('rita@acme.test', password)).status).toBe(401);
      // The link is spent: its page now says so, with the request id and the way to ask again.
      await page.goto(link.toString());
      await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
      expect(await page.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href')).toBe(
        `/sign-in/${orgId}/forgot-password?client_id=${app.client_id}`,
      );
      expect(await page.locator('dd').textContent()).toMatch(/\S/);
      await secretFree(link.searchParams.get('token')!);
    },
    60_000,
  );

  (hasChromium() ? it : it.skip)(
    'resets a password with the keyboard alone',
    async () => {
      await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email: 'kai@acme.test', password } });
      const page = await browser!.context.newPage();
      await page.goto(authorize());
      // The email field has focus; Continue, then "Forgot password?".
      await page.waitForFunction('document.activeElement && document.activeElement.id === "email"');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent.trim()')).toBe('Forgot password?');
      await page.keyboard.press('Enter');
      await page.waitForFunction('document.activeElement && document.activeElement.id === "email"');
      await page.keyboard.type('kai@acme.test');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      const [mail] = await mailbox.waitFor('kai@acme.test');
      await page.goto(linkIn(mail!).toString());
      await page.waitForFunction('document.activeElement && document.activeElement.id === "password"');
      await page.keyboard.type(newPassword);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Password changed' }).waitFor();
      expect((await login('kai@acme.test', newPassword)).status).toBe(200);
    },
    60_000,
  );

  it('answers a reset request the same whether or not the account exists', async () => {
    const ask = async (email: string) => {
      const b = new CookieBrowser(CALLBACK);
      const form = await b.go(`${gh.url}/sign-in/${orgId}/forgot-password`);
      const res = await b.submit(gh.url, form, `/sign-in/${orgId}/forgot-password`, { email });
      return { status: res.status, body: res.body.replaceAll(email, 'EMAIL') };
    };
    const none = await ask('otto@acme.test');
    await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email: 'otto2@acme.test', password } });
    const existing = await ask('otto2@acme.test');
    expect(existing).toEqual(none);
    expect(none.status).toBe(200);
    await mailbox.waitFor('otto2@acme.test');
    expect(mailbox.messages.filter((m) => m.to.includes('otto@acme.test'))).toEqual([]);
  });

  (hasChromium() ? it : it.skip)(
    'accepts an invitation in Chromium: the mailed link → a password → signed up',
    async () => {
      const invited = await gh.api('POST', `/v1/orgs/${orgId}/invitations`, {
        token: admin,
        body: { email: 'ines@acme.test' },
      });
      expect(invited.status).toBe(201);
      const [mail] = await mailbox.waitFor('ines@acme.test');
      const link = linkIn(mail!);
      expect(link.pathname).toBe(`/sign-in/${orgId}/invitation`);
      const page = await browser!.context.newPage();
      await page.goto(link.toString());
      await page.getByRole('heading', { name: 'Join Acme' }).waitFor();
      await page.getByLabel('New password').fill(newPassword);
      await page.getByRole('button', { name: 'Create my account' }).click();
      await page.getByRole('heading', { name: 'Welcome' }).waitFor();
      expect(browser!.problems).toEqual([]);
      expect((await login('ines@acme.test', newPassword)).status).toBe(200);
      await page.goto(link.toString());
      await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
      await secretFree(link.searchParams.get('token')!);
    },
    60_000,
  );

  it('signs up where the org takes it, accepting its policy on the way, then verifies the address', async () => {
    const b = new CookieBrowser(CALLBACK);
    // Closed: no sign-up link on the identifier page, no sign-up page.
    expect((await settings('off')).status).toBe(200);
    expect((await b.go(authorize())).body).not.toContain('/signup');
    expect((await b.go(`${gh.url}/sign-in/${orgId}/signup`)).status).toBe(404);

    expect((await settings('domains', ['acme.test'])).status).toBe(200);
    expect(
      (await gh.api('PUT', `/v1/orgs/${orgId}/policy`, { token: admin, body: { required_version: '2026-12' } })).status,
    ).toBe(200);
    const identify = await b.go(authorize());
    const href = /href="([^"]*\/signup[^"]*)"/.exec(identify.body)![1]!.replace(/&amp;/g, '&');
    let form = await b.go(new URL(href, gh.url).toString());
    expect(form.status).toBe(200);
    expect(form.body).toContain('I accept the terms of Acme (version 2026-12).');
    expect(form.body).toContain('autocomplete="new-password"');
    const action = `/sign-in/${orgId}/signup`;

    // Another domain: refused for the domain (a property of the org), never of an account.
    let res = await b.submit(gh.url, form, action, {
      email: 'eve@other.test',
      password: newPassword,
      policy_version: '2026-12',
    });
    expect(res.status).toBe(403);
    expect(res.body).toContain('Acme does not take sign-ups for this email address.');
    // The policy not accepted (the box left unticked): the form again.
    res = await b.submit(gh.url, form, action, { email: 'neu@acme.test', password: newPassword, policy_version: '' });
    expect(res.status).toBe(400);
    expect(res.body).toContain('Accept the terms to create an account.');
    res = await b.submit(gh.url, form, action, {
      email: 'neu@acme.test',
      password: 'weakweakweakweak',
      policy_version: '2026-12',
    });
    expect(res.status).toBe(400);
    expect(res.body).toContain('That password is too weak.');
    res = await b.submit(gh.url, form, action, {
      email: 'neu@acme.test',
      password: newPassword,
      policy_version: '2026-12',
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('We have sent a link to neu@acme.test.');

    const [mail] = await mailbox.waitFor('neu@acme.test');
    const link = linkIn(mail!);
    expect(link.pathname).toBe(`/sign-in/${orgId}/verify-email`);
    // Opening the link does not use it (a mail scanner's fetch); the button does.
    form = await b.go(link.toString());
    expect(form.status).toBe(200);
    form = await b.go(link.toString());
    res = await b.submit(gh.url, form, `/sign-in/${orgId}/verify-email`);
    expect(res.status).toBe(201);
    expect(res.body).toContain('Your address is verified and your account is ready.');
    // The org requires the policy: the sign-in works only because it was accepted with the account.
    expect((await login('neu@acme.test', newPassword)).status).toBe(200);

    res = await b.submit(gh.url, form, `/sign-in/${orgId}/verify-email`);
    expect(res.status).toBe(400);
    expect(res.body).toContain('This link no longer works');
    await secretFree(link.searchParams.get('token')!);
  });

  it('refuses a form without its CSRF token, an unknown link, and an org id that is not one', async () => {
    const b = new CookieBrowser(CALLBACK);
    const form: PageResponse = await b.go(`${gh.url}/sign-in/${orgId}/forgot-password`);
    const forged = await b.go(`${gh.url}/sign-in/${orgId}/forgot-password`, {
      form: { email: 'rita@acme.test', csrf: 'x' },
    });
    expect(forged.status).toBe(403);
    // The token of one page does not post another.
    const wrongPage = await b.go(`${gh.url}/sign-in/${orgId}/signup`, {
      form: { ...CookieBrowser.forms(form)[0]!.fields, email: 'x@acme.test', password: newPassword },
    });
    expect(wrongPage.status).toBe(403);
    const unknown = await b.go(`${gh.url}/sign-in/${orgId}/reset-password?token=ghp_${'A'.repeat(43)}`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('This link no longer works');
    expect(unknown.body).toMatch(/Request ID<\/dt>\s*<dd>[^<]+<\/dd>/);
    expect((await b.go(`${gh.url}/sign-in/nope/forgot-password`)).status).toBe(404);
  });
});
