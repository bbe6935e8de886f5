import { createHash, randomBytes } from 'node:crypto';
import { hasChromium, launch } from './console/browser';
import { CookieBrowser } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { logoPng } from './support/png';

const CALLBACK = 'https://notes.example/cb';

/**
 * The hosted pages' language and branding (docs/sign-in-experience.md#languages,
 * docs/sign-in-experience.md#branding), through real HTTP with a cookie-jar browser.
 */
describe('hosted pages: language and branding', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let app: { client_id: string };
  let other: { client_id: string };

  const authorize = (extra: Record<string, string> = {}, clientId = app.client_id) =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
      code_challenge_method: 'S256',
      ...extra,
    })}`;
  const settings = (defaultLocale: string) =>
    gh.api('PUT', `/v1/orgs/${orgId}/sign-in-settings`, {
      token: admin,
      body: { passkeys: 'optional', mfa: 'optional', signup: 'off', signup_domains: [], default_locale: defaultLocale },
    });

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body.id;
    const create = async (name: string) =>
      (
        await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
          token: admin,
          body: { name, scopes: ['notes:read'], grant_types: ['authorization_code'], redirect_uris: [CALLBACK] },
        })
      ).body;
    app = await create('Notes');
    other = await create('Other');
  });
  afterAll(() => gh?.close());

  it('chooses the language from ui_locales, then Accept-Language, then the org default, and sets <html lang>', async () => {
    expect((await settings('de')).status).toBe(200);
    const page = async (acceptLanguage: string | null, extra: Record<string, string> = {}) =>
      (await new CookieBrowser(CALLBACK, { acceptLanguage }).go(authorize(extra))).body;

    const orgDefault = await page(null);
    expect(orgDefault).toContain('<html lang="de">');
    expect(orgDefault).toContain('E-Mail-Adresse');
    expect(orgDefault).not.toContain('Email address');

    const browserEnglish = await page('en-GB,en;q=0.9');
    expect(browserEnglish).toContain('<html lang="en">');
    expect(browserEnglish).toContain('Email address');

    const asked = await page('en-GB,en;q=0.9', { ui_locales: 'fr de-AT' });
    expect(asked).toContain('<html lang="de">');
    expect(asked).toContain('Melden Sie sich an, um mit Notes fortzufahren');

    expect((await settings('en')).status).toBe(200);
    expect(await page('fr')).toContain('<html lang="en">');
    expect(await page('de-CH')).toContain('<html lang="de">');
  });

  it('shows the error pages in the browser’s language', async () => {
    const res = await new CookieBrowser(CALLBACK, { acceptLanguage: 'de' }).go(
      authorize({ redirect_uri: 'https://evil.example/cb' }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toContain('<html lang="de">');
    expect(res.body).toContain('Etwas ist schiefgegangen');
    expect(res.body).toMatch(/Anfrage-ID<\/dt>\s*<dd>[^<]+<\/dd>/);
  });

  const upload = (path: string, type: string, body: Buffer) =>
    fetch(`${gh.url}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': type },
      body: new Uint8Array(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { logo_url: string } }));

  it('shows the app’s branding over the org’s over the default, the logo and colour from its own origin', async () => {
    const page = async (clientId = app.client_id) =>
      new CookieBrowser(CALLBACK, { acceptLanguage: 'en' }).go(authorize({}, clientId));
    // No branding yet: the org's display name and the default colour.
    let res = await page();
    expect(res.body).toContain('<title>Sign in · Acme</title>');
    expect(res.body).toContain('href="/sign-in/assets/brand/1a56db.css"');

    const orgBranding = await gh.api('PUT', `/v1/orgs/${orgId}/branding`, {
      token: admin,
      body: { display_name: 'Acme Identity', primary_color: '#7a1f5c' },
    });
    expect(orgBranding.status).toBe(200);
    const logo = await upload(`/v1/orgs/${orgId}/branding/logo`, 'image/png', logoPng(120, 40, [122, 31, 92]));
    expect(logo.status).toBe(200);
    expect(
      (
        await gh.api('PUT', `/v1/orgs/${orgId}/apps/${app.client_id}/branding`, {
          token: admin,
          body: { display_name: 'Notes by Acme' },
        })
      ).status,
    ).toBe(200);

    res = await page();
    expect(res.body).toContain('<title>Sign in · Notes by Acme</title>');
    // The app left the colour and the logo to the org.
    expect(res.body).toContain('href="/sign-in/assets/brand/7a1f5c.css"');
    expect(res.body).toContain(`<img src="${logo.body.logo_url.replace(/&/g, '&amp;')}" alt="Notes by Acme" />`);
    expect(logo.body.logo_url).toMatch(/^\/v1\/orgs\//);
    expect(res.headers.get('content-security-policy')).toMatch(/img-src 'self'/);
    expect(res.headers.get('content-security-policy')).toMatch(/style-src 'self';/);
    expect(res.body).not.toMatch(/style=|<style/);

    res = await page(other.client_id);
    expect(res.body).toContain('<title>Sign in · Acme Identity</title>');
    expect(res.body).toContain('href="/sign-in/assets/brand/7a1f5c.css"');

    const css = await fetch(`${gh.url}/sign-in/assets/brand/7a1f5c.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toBe(':root{--primary:#7a1f5c}\n');
    expect((await fetch(`${gh.url}/sign-in/assets/brand/x%7D%3Cb.css`)).status).toBe(404);
    expect((await fetch(`${gh.url}${logo.body.logo_url}`)).headers.get('content-type')).toBe('image/png');
  });

  (hasChromium() ? it : it.skip)(
    'paints the brand colour and follows prefers-color-scheme in Chromium',
    async () => {
      const browser = await launch();
      try {
        const page = await browser.context.newPage();
        const look = async (scheme: 'light' | 'dark') => {
          await page.emulateMedia({ colorScheme: scheme });
          await page.goto(authorize());
          await page.locator('button[type=submit]').first().waitFor();
          return page.evaluate(`(() => {
          const b = getComputedStyle(document.querySelector('form button[type=submit]'));
          return { button: b.backgroundColor, main: getComputedStyle(document.querySelector('main')).backgroundColor,
                   logo: document.querySelector('header img').naturalWidth };
        })()`) as Promise<{ button: string; main: string; logo: number }>;
        };
        const light = await look('light');
        const dark = await look('dark');
        expect(light).toEqual({ button: 'rgb(122, 31, 92)', main: 'rgb(255, 255, 255)', logo: 120 });
        expect(dark.button).toBe('rgb(122, 31, 92)');
        expect(dark.main).not.toBe(light.main);
        expect(browser.problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
