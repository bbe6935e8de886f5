import { createHash, randomBytes } from 'node:crypto';
import { CookieBrowser } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

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

  const authorize = (extra: Record<string, string> = {}) =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.client_id,
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
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: { name: 'Notes', scopes: ['notes:read'], grant_types: ['authorization_code'], redirect_uris: [CALLBACK] },
      })
    ).body;
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
});
