import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  cliCreateAdmin,
  loginAdmin,
  startGatehouse,
  totp,
  type CliAdmin,
  type TestGatehouse,
} from '../support/gatehouse';
import { axeSerious, hasChromium, launch, PHONE, DESKTOP, type Browser } from './browser';

const built = existsSync(join(__dirname, '..', '..', 'dist', 'console', 'index.html'));
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (ci && !hasChromium()) throw new Error('CI=true but /usr/bin/chromium is missing: .ci/run installs it');
if (!built) throw new Error('dist/console is missing: run `npm run build` (npm test does it first)');
const maybe = hasChromium() ? describe : describe.skip;

/**
 * The console's passkey page (docs/console.md#passkeys) in Chromium with a CDP virtual
 * authenticator, on `localhost` (the RP ID a 127.0.0.1 issuer serves passkeys on): an
 * administrator registers a passkey with a name, renames it, deletes it; the API sees each
 * change, and the page passes axe at both sizes.
 */
maybe('console passkeys in Chromium', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let admin: CliAdmin;
  let apiToken: string;
  let base: string;

  const mine = async () =>
    (await gh.api('GET', '/v1/me/passkeys', { token: apiToken })).body as { id: string; name: string }[];

  beforeAll(async () => {
    gh = await startGatehouse();
    base = gh.url.replace('127.0.0.1', 'localhost');
    admin = await cliCreateAdmin(gh, { platform: true });
    apiToken = (await loginAdmin(gh, admin)).access_token;
    browser = await launch();
    page = await browser.context.newPage();
    page.setDefaultTimeout(8000);
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  it('registers, lists, renames and deletes an administrator’s passkey', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    // The API sign-in above spent the current step's code: the one after it.
    await page.getByLabel('Authentication code').fill(await totp(admin.mfa.secret, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();

    await page.getByRole('link', { name: 'Passkeys' }).click();
    await page.getByRole('heading', { name: 'My passkeys', level: 1 }).waitFor();
    await page.getByText('No passkeys yet.').waitFor();
    for (const size of [PHONE, DESKTOP]) {
      await page.setViewportSize(size);
      expect(await axeSerious(page)).toEqual([]);
    }

    await page.getByLabel('Passkey name').fill('Work laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('status').filter({ hasText: 'Passkey “Work laptop” added.' }).waitFor();
    await page.getByRole('cell', { name: 'Work laptop', exact: true }).waitFor();
    expect((await mine()).map((p) => p.name)).toEqual(['Work laptop']);
    expect(await axeSerious(page)).toEqual([]);

    await page.getByRole('button', { name: 'Rename Work laptop' }).click();
    await page.getByLabel('New name for Work laptop').fill('Desk key');
    await page.getByRole('button', { name: 'Save Work laptop' }).click();
    await page.getByRole('cell', { name: 'Desk key', exact: true }).waitFor();
    expect((await mine()).map((p) => p.name)).toEqual(['Desk key']);

    await page.getByRole('button', { name: 'Delete Desk key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete passkey' }).click();
    await page.getByText('No passkeys yet.').waitFor();
    expect(await mine()).toEqual([]);
    const actions = await gh.sql<{ action: string }>(
      `SELECT action FROM audit_events WHERE action LIKE 'passkey.%' ORDER BY seq`,
    );
    expect(actions.map((a) => a.action)).toEqual(['passkey.registered', 'passkey.renamed', 'passkey.deleted']);
    expect(browser.problems).toEqual([]);
  });
});
