import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { pageCsp } from '../apps/gatehouse/src/sign-in/browser-http';
import type { Branding } from '../apps/gatehouse/src/sign-in/branding';
import { pageText } from '../apps/gatehouse/src/sign-in/page-text';
import { samplePages } from '../apps/gatehouse/src/sign-in/pages/page-samples';
import { DESKTOP, hasChromium, launch, PHONE, SCREENSHOTS, type Browser } from './console/browser';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { logoPng } from './support/png';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Every axe violation, whatever its impact (docs/sign-in.md#pages). */
async function axeViolations(page: Page): Promise<string[]> {
  // axe runs through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(`if (!window.axe) { ${AXE_SOURCE}\n }`);
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations)`,
  )) as { id: string; impact: string | null; nodes: { target: string[] }[] }[];
  return violations.map((v) => `${v.impact} ${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The pages photographed; the other samples (error states) are checked with axe only. */
const PHOTOGRAPHED = [
  'identify_with_links',
  'identify_passkey',
  'password',
  'passkey',
  'passkey_setup',
  'policy',
  'mfa',
  'mfa_setup',
  'consent',
  'error',
  'stopped',
  'form_post',
  'signed_out',
  'forgot_password',
  'reset_sent',
  'reset_password_weak',
  'reset_done',
  'link_expired',
  'signup',
  'signup_sent',
  'verify_email',
  'signup_done',
  'invitation',
  'invitation_done',
];

const run = hasChromium() ? describe : describe.skip;

/**
 * Every hosted page (the samples of page-samples.ts, rendered by the real renderers) in
 * Chromium on Gatehouse's own origin, with its CSP and an org's branding (name, logo,
 * colour): axe-core finds no violation at 1280×800 and 390×844, light and dark, English and
 * German; each page is photographed into docs/screenshots/sign-in with
 * GATEHOUSE_UPDATE_SCREENSHOTS=1 (a temporary folder otherwise).
 */
run('hosted pages: axe and screenshots (docs/sign-in-experience.md#screenshots)', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let branding: Branding;
  const dir = join(SCREENSHOTS, 'sign-in');

  beforeAll(async () => {
    gh = await startGatehouse();
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'A' } })).body
      .id;
    await gh.api('PUT', `/v1/orgs/${orgId}/branding`, {
      token: admin,
      body: { display_name: 'Acme Cloud', primary_color: '#0b6e4f' },
    });
    const logo = await fetch(`${gh.url}/v1/orgs/${orgId}/branding/logo`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'image/png' },
      body: new Uint8Array(logoPng(144, 48, [11, 110, 79])),
    }).then((r) => r.json() as Promise<{ logo_url: string }>);
    branding = { displayName: 'Acme Cloud', primaryColor: '#0b6e4f', logoUrl: logo.logo_url };
    browser = await launch();
    mkdirSync(dir, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  it.each(['en', 'de'] as const)(
    'every page in %s passes axe at both sizes, light and dark',
    async (locale) => {
      const pages = samplePages(pageText(locale), branding);
      const page = await browser.context.newPage();
      // Served as Gatehouse serves a page: its origin, its CSP; the form_post script is held back
      // so the page stays to be photographed (its button is the no-script path).
      await page.route(`${gh.url}/__sample/*`, (route) =>
        route.fulfill({
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': pageCsp(null) },
          body: pages[new URL(route.request().url()).pathname.split('/').pop()!]!,
        }),
      );
      await page.route(`${gh.url}/sign-in/assets/form-post.js`, (route) =>
        route.fulfill({ status: 200, headers: { 'content-type': 'text/javascript' }, body: '' }),
      );
      const found: string[] = [];
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const size of [DESKTOP, PHONE]) {
          await page.setViewportSize(size);
          for (const name of Object.keys(pages)) {
            await page.goto(`${gh.url}/__sample/${name}`);
            await page.waitForFunction('document.fonts.status === "loaded"');
            expect(await page.evaluate('document.documentElement.lang')).toBe(locale);
            for (const v of await axeViolations(page)) found.push(`${name} ${scheme} ${size.width}: ${v}`);
            if (PHOTOGRAPHED.includes(name)) {
              await page.screenshot({ path: join(dir, `${name}-${locale}-${scheme}-${size.width}.png`) });
            }
          }
        }
      }
      expect(found).toEqual([]);
      expect(browser.problems).toEqual([]);
      // The logo was loaded from Gatehouse's own origin under img-src 'self'.
      await page.goto(`${gh.url}/__sample/identify`);
      expect(await page.evaluate(`document.querySelector('header img').naturalWidth`)).toBe(144);
    },
    300_000,
  );
});
