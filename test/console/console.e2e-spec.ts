import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import {
  clientPost,
  cliCreateAdmin,
  loginAdmin,
  startGatehouse,
  totp,
  type CliAdmin,
  type TestGatehouse,
} from '../support/gatehouse';
import { axeSerious, DESKTOP, hasChromium, launch, PHONE, screenshot, type Browser } from './browser';

/**
 * The admin console in a real browser (docs/console.md): Debian's Chromium through
 * playwright-core, against a real Gatehouse, PostgreSQL and Redis. Every page is checked
 * with axe-core (no serious or critical violation) at 1280×800 and 390×844 and
 * photographed (into a temporary folder; docs/screenshots with GATEHOUSE_UPDATE_SCREENSHOTS=1).
 */
const built = existsSync(join(__dirname, '..', '..', 'dist', 'console', 'index.html'));
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (ci && !hasChromium()) throw new Error('CI=true but /usr/bin/chromium is missing: .ci/run installs it');
if (!built) throw new Error('dist/console is missing: run `npm run build` (npm test does it first)');
const maybe = hasChromium() ? describe : describe.skip;
if (!hasChromium()) process.stdout.write('console browser suite skipped: no /usr/bin/chromium\n');

maybe('admin console in Chromium', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let admin: CliAdmin;
  let orgId: string;
  let client: { client_id: string; client_secret: string };
  /** A bearer token for checks through the API (one sign-in: a TOTP step is accepted once). */
  let apiToken: string;

  const visit = async (path: string) => {
    await page.goto(`${gh.url}/console${path}`);
  };
  const accessible = async (name: string) => {
    await page.waitForLoadState('networkidle');
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, name);
  };
  const appToken = async () => {
    const res = await clientPost(gh.url, client, '/oauth/token', { grant_type: 'client_credentials' });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: true });
    admin = await cliCreateAdmin(gh, { platform: true });
    apiToken = (await loginAdmin(gh, admin)).access_token;
    browser = await launch();
    page = await browser.context.newPage();
    page.setDefaultTimeout(8000);
  });

  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  afterEach(() => {
    expect(browser.problems).toEqual([]);
  });

  it('serves the console at /console under a strict Content-Security-Policy', async () => {
    const res = await fetch(`${gh.url}/console/orgs/anything`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:\/\//);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\bstyle=/);
  });

  it('signs in with email, password and a TOTP code computed here', async () => {
    await visit('/');
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    await accessible('sign-in');
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    await accessible('sign-in-code');
    await page.getByLabel('Authentication code').fill(await totp(admin.mfa.secret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    await accessible('organizations-empty');
  });

  it('keeps the session out of page storage: the refresh token is an HttpOnly, SameSite=Strict cookie for the session routes', async () => {
    const cookies = await browser.context.cookies(gh.url + '/v1/console/session/refresh');
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/v1/console/session' });
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
    // A reload loses the in-memory access token; the cookie buys a new one invisibly.
    await page.reload();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    const rotated = await browser.context.cookies(gh.url + '/v1/console/session/refresh');
    expect(rotated[0].value).not.toBe(cookies[0].value);
  });

  it('lets two tabs refresh at the same moment without looking like token reuse', async () => {
    const second = await browser.context.newPage();
    second.setDefaultTimeout(8000);
    // Hold each tab's refresh until the other's has arrived too (or a second has passed), so
    // that without the console's cross-tab lock both would present the same cookie at once.
    let arrived = 0;
    let release: () => void = () => undefined;
    const together = new Promise<void>((r) => (release = r));
    const barrier = async (route: Route) => {
      if (++arrived === 2) release();
      await Promise.race([together, new Promise((r) => setTimeout(r, 1000))]);
      await route.continue();
    };
    for (const p of [page, second]) await p.route('**/v1/console/session/refresh', barrier);
    await Promise.all([page.reload(), second.goto(`${gh.url}/console/orgs`)]);
    for (const p of [page, second]) await p.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    await page.unroute('**/v1/console/session/refresh');
    await second.close();
    await page.reload();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
  });

  it('creates an organization', async () => {
    await page.getByLabel('Slug').fill('acme-console');
    await page.getByLabel('Display name').fill('Acme (console)');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: 'Organization', level: 1 }).waitFor();
    await page.getByRole('heading', { name: /Acme \(console\)/ }).waitFor();
    orgId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(orgId).toMatch(/^org_/);
    await page.getByText('No applications in this organization.').waitFor();
    await page.getByText('No users in this organization.').waitFor();
  });

  it('creates an application and shows its secret once', async () => {
    await page.getByLabel('Application name').fill('billing-worker');
    await page.getByLabel('Scopes').fill('invoices:read invoices:write');
    await page.getByRole('button', { name: 'Create application' }).click();
    const secret = await page.getByTestId('shown-once').textContent();
    const clientId = await page.getByTestId('client-id').textContent();
    expect(secret).toMatch(/^ghs_/);
    client = { client_id: clientId!, client_secret: secret! };
    await appToken(); // the secret the console showed works at the token endpoint
    await page.getByRole('link', { name: 'billing-worker' }).waitFor();
    await accessible('organization');
    await page.reload();
    await page.getByRole('link', { name: 'billing-worker' }).waitFor();
    expect(await page.getByTestId('shown-once').count()).toBe(0);
  });

  it('creates a user', async () => {
    await page.getByLabel('User email').fill('ada@acme.test');
    await page.getByLabel('Initial password').fill('Lovelace-Analytical-1843');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('cell', { name: 'ada@acme.test', exact: true }).waitFor();
    const users = await gh.api('GET', `/v1/orgs/${orgId}/users`, { token: apiToken });
    expect(users.body.data.map((u: { email: string }) => u.email)).toEqual(['ada@acme.test']);
  });

  it('edits the sign-in settings and the branding, with a live preview (docs/sign-in-experience.md)', async () => {
    const settings = page.getByRole('form', { name: 'Sign-in settings' });
    await settings.getByLabel('Two-step verification (TOTP)').selectOption('required');
    await settings.getByLabel('Self sign-up').selectOption('domains');
    await settings.getByLabel('Sign-up domains').fill('acme.test');
    await settings.getByLabel('Default language').selectOption('de');
    await settings.getByRole('button', { name: 'Save sign-in settings' }).click();
    await settings.getByRole('status').waitFor();
    expect((await gh.api('GET', `/v1/orgs/${orgId}/sign-in-settings`, { token: apiToken })).body).toEqual({
      passkeys: 'optional',
      mfa: 'required',
      signup: 'domains',
      signup_domains: ['acme.test'],
      default_locale: 'de',
    });
    const branding = page.getByRole('form', { name: 'Branding' });
    await branding.getByLabel('Display name').fill('Acme Sign-in');
    await branding.getByText('Sign in to Acme Sign-in').waitFor();
    // A colour white text cannot be read on is flagged while editing and refused by the API.
    await branding.getByLabel('Primary colour').fill('#ffd60a');
    await branding.getByText(/fails WCAG AA/).waitFor();
    await branding.getByRole('button', { name: 'Save branding' }).click();
    await branding
      .getByText(/WCAG AA/, { exact: false })
      .first()
      .waitFor();
    await branding.getByLabel('Primary colour').fill('#0b5fff');
    await branding.getByText(/passes WCAG AA/).waitFor();
    await branding.getByRole('button', { name: 'Save branding' }).click();
    let saved: Record<string, unknown> = {};
    for (let i = 0; i < 40 && saved.primary_color !== '#0b5fff'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      saved = (await gh.api('GET', `/v1/orgs/${orgId}/branding`, { token: apiToken })).body;
    }
    expect(saved).toMatchObject({ display_name: 'Acme Sign-in', primary_color: '#0b5fff' });
    expect(await axeSerious(page)).toEqual([]);
    // Back to the defaults: the later steps sign users in with a password alone.
    await gh.api('PUT', `/v1/orgs/${orgId}/sign-in-settings`, {
      token: apiToken,
      body: { passkeys: 'optional', mfa: 'optional', signup: 'off', signup_domains: [], default_locale: 'en' },
    });
  });

  it('finds things: organizations and users newest first, with a server-side search box (docs/console.md#search)', async () => {
    // More organizations than one page (20), created after acme: acme is on no first page
    // oldest-first, and the one created last comes first.
    for (let i = 0; i < 21; i++) {
      const made = await gh.api('POST', '/v1/orgs', {
        token: apiToken,
        body: { name: `bulk-${String(i).padStart(2, '0')}`, display_name: `Bulk ${i}` },
      });
      expect(made.status).toBe(201);
    }
    await visit('/orgs');
    const firstRow = page.getByRole('region', { name: 'Organizations table' }).getByRole('row').nth(1);
    await firstRow.getByRole('cell', { name: 'bulk-20', exact: true }).waitFor();
    expect(await page.getByRole('cell', { name: 'acme-console', exact: true }).count()).toBe(0);
    const search = page.getByRole('searchbox', { name: 'Search organizations' });
    await search.fill('ACM');
    await page.getByRole('cell', { name: 'acme-console', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'bulk-20', exact: true }).waitFor({ state: 'detached' });
    expect(await page.getByRole('region', { name: 'Organizations table' }).getByRole('row').count()).toBe(2);
    await search.fill(orgId);
    await page.getByRole('cell', { name: orgId, exact: true }).waitFor();
    await search.fill('no-such-org');
    await page.getByText('No organization matches “no-such-org”.').waitFor();
    await accessible('organizations-search');

    await visit(`/orgs/${orgId}`);
    const users = page.getByRole('searchbox', { name: 'Search users' });
    await users.fill('ADA@');
    await page.getByRole('cell', { name: 'ada@acme.test', exact: true }).waitFor();
    await users.fill('grace');
    await page.getByText('No user matches “grace”.').waitFor();
    await page.getByRole('searchbox', { name: 'Search applications' }).fill('billing');
    await page.getByRole('link', { name: 'billing-worker' }).waitFor();
    await visit(`/orgs/${orgId}`);
  });

  it('registers a resource, and refuses to delete it while an application names it', async () => {
    const identifier = 'https://mcp.acme-console.test/mcp';
    await page.getByLabel('Identifier').fill('http://mcp.acme-console.test/mcp');
    await page.getByLabel('Resource name').fill('Acme notes');
    await page.getByRole('button', { name: 'Register resource' }).click();
    await page
      .getByRole('alert')
      .getByText(/loopback host only/)
      .first()
      .waitFor();
    await page.getByLabel('Identifier').fill(identifier);
    await page.getByLabel('Scope list').fill('notes:read Read your notes\nnotes:write');
    await page.getByLabel('Token lifetime (optional)').fill('300');
    await page.getByRole('button', { name: 'Register resource' }).click();
    const row = page.getByRole('row', { name: new RegExp(identifier.replace(/[.]/g, '\\.')) });
    await row.getByText('Read your notes').waitFor();
    await row.getByRole('cell', { name: '300 s' }).waitFor();
    const listed = await gh.api('GET', `/v1/orgs/${orgId}/resources`, { token: apiToken });
    expect(listed.body.data).toEqual([
      expect.objectContaining({
        identifier,
        name: 'Acme notes',
        scopes: [
          { name: 'notes:read', description: 'Read your notes' },
          { name: 'notes:write', description: '' },
        ],
        token_ttl_s: 300,
      }),
    ]);
    await accessible('organization-resources');

    const named = await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${client.client_id}`, {
      token: apiToken,
      body: { audiences: [identifier] },
    });
    expect(named.status).toBe(200);
    await page.getByRole('button', { name: 'Delete resource Acme notes' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete resource' }).click();
    await dialog.getByText('resource_in_use').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${client.client_id}`, { token: apiToken, body: { audiences: [] } });
    await page.getByRole('button', { name: 'Delete resource Acme notes' }).click();
    await dialog.getByRole('button', { name: 'Delete resource' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('No resources registered.').waitFor();
  });

  it('trusts an identity provider and allows an authorization server for ID-JAGs (docs/id-jag.md)', async () => {
    await page.getByLabel('Issuer', { exact: true }).fill('https://idp.acme-console.test');
    await page.getByLabel('Keys').fill('{"keys": [');
    await page.getByRole('button', { name: 'Trust identity provider' }).click();
    await page
      .getByRole('alert')
      .getByText(/JWK Set as JSON/)
      .first()
      .waitFor();
    await page.getByLabel('Keys').fill('https://idp.acme-console.test/jwks.json');
    await page.getByLabel('Allowed applications').fill(client.client_id);
    await page.getByRole('button', { name: 'Trust identity provider' }).click();
    const row = page.getByRole('row', { name: /idp\.acme-console\.test/ });
    await row.getByText(client.client_id).waitFor();

    await page.getByLabel('Authorization server issuer').fill('https://notes.acme-console.test');
    await page.getByLabel('Client ids there').fill(`${client.client_id} agent-at-notes`);
    await page.getByLabel('Permissions they may assert').fill('notes:read notes:write');
    await page.getByRole('button', { name: 'Allow authorization server' }).click();
    await page
      .getByRole('row', { name: /notes\.acme-console\.test/ })
      .getByText('agent-at-notes')
      .waitFor();
    await page.waitForLoadState('networkidle');
    expect(await axeSerious(page)).toEqual([]);

    const issuers = await gh.api('GET', `/v1/orgs/${orgId}/trusted-issuers`, { token: apiToken });
    expect(issuers.body.data).toEqual([
      expect.objectContaining({
        issuer: 'https://idp.acme-console.test',
        jwks_uri: 'https://idp.acme-console.test/jwks.json',
        allowed_clients: [client.client_id],
      }),
    ]);
    const audiences = await gh.api('GET', `/v1/orgs/${orgId}/id-jag-audiences`, { token: apiToken });
    expect(audiences.body.data).toEqual([
      expect.objectContaining({
        clients: [{ app_id: client.client_id, client_id: 'agent-at-notes' }],
        scopes: ['notes:read', 'notes:write'],
      }),
    ]);

    await page.getByRole('button', { name: 'Stop trusting https://idp.acme-console.test' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop trusting' }).click();
    await page.getByText('No identity provider is trusted.').waitFor();
    await page.getByRole('button', { name: 'Stop allowing https://notes.acme-console.test' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop allowing' }).click();
    await page.getByText('No authorization server is allowed.').waitFor();
  });

  it('lists the self-registered clients the organization has seen and blocks one', async () => {
    // What the resolver records when a metadata-document client signs in (docs/client-registration.md#blocking).
    const clientId = 'https://agent.example.com/oauth/client.json';
    await gh.sql(
      `INSERT INTO org_external_clients (org_id, client_id, kind, client_name, redirect_uris, document_hash, first_seen_at, last_seen_at)
       VALUES ($1, $2, 'metadata_document', 'Notes agent', ARRAY['http://127.0.0.1:33418/callback'], $3, now(), now())`,
      [orgId, clientId, 'ab'.repeat(32)],
    );
    await visit(`/orgs/${orgId}`);
    const row = page.getByRole('row', { name: /Notes agent/ });
    await row.getByRole('cell', { name: '127.0.0.1:33418' }).waitFor();
    await row.getByRole('cell', { name: 'allowed' }).waitFor();
    await page.getByRole('heading', { name: 'Self-registered clients' }).scrollIntoViewIfNeeded();
    await accessible('organization-self-registered-clients');
    await row.getByRole('button', { name: 'Block Notes agent' }).click();
    await row.getByRole('cell', { name: 'blocked' }).waitFor();
    const listed = await gh.api('GET', `/v1/orgs/${orgId}/client-registration/clients`, { token: apiToken });
    expect(listed.body.items).toEqual([
      expect.objectContaining({ client_id: clientId, blocked_at: expect.any(String) }),
    ]);
    await row.getByRole('button', { name: 'Unblock Notes agent' }).click();
    await row.getByRole('cell', { name: 'allowed' }).waitFor();
  });

  it('revokes a user’s managed token from the users list', async () => {
    // The app made in the console is new: it opts in to the legacy password endpoint first.
    await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${client.client_id}`, {
      token: apiToken,
      body: { password_login: true },
    });
    const login = await gh.api('POST', `/v1/orgs/${orgId}/users/login`, {
      body: { client_id: client.client_id, email: 'ada@acme.test', password: 'Lovelace-Analytical-1843' },
    });
    expect(login.status).toBe(200);
    const created = await gh.api('POST', '/v1/me/managed-token', {
      token: login.body.access_token,
      body: { hosts: [client.client_id] },
    });
    expect(created.status).toBe(201);
    await page.getByRole('button', { name: 'Revoke managed token of ada@acme.test' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke managed token' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    const users = await gh.api('GET', `/v1/orgs/${orgId}/users`, { token: apiToken });
    const ada = users.body.data.find((u: { email: string }) => u.email === 'ada@acme.test');
    const after = await gh.api('GET', `/v1/orgs/${orgId}/users/${ada.id}/managed-token`, { token: apiToken });
    expect(after.status).toBe(404);
  });

  it('edits a user’s profile claims, showing the API’s validation errors (docs/sign-in.md#claims)', async () => {
    await page.getByRole('button', { name: 'Edit profile of ada@acme.test' }).click();
    const form = page.getByRole('form', { name: 'Edit profile of ada@acme.test' });
    await form.getByLabel('Full name').fill('Ada Lovelace');
    await form.getByLabel('Given name').fill('Ada');
    await form.getByLabel('Family name').fill('Lovelace');
    await form.getByLabel('Locale', { exact: true }).fill('not a locale!');
    await form.getByLabel('Email verified').check();
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form
      .getByRole('listitem')
      .filter({ hasText: /^locale: / })
      .waitFor();
    await accessible('user-profile');
    await form.getByLabel('Locale', { exact: true }).fill('en-GB');
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await form.getByRole('button', { name: 'Save profile' }).click();
    expect((await saved).status()).toBe(200);
    await page.getByRole('cell', { name: 'Ada Lovelace · en-GB · email verified' }).waitFor();
    const users = await gh.api('GET', `/v1/orgs/${orgId}/users`, { token: apiToken });
    expect(users.body.data.find((u: { email: string }) => u.email === 'ada@acme.test')).toMatchObject({
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      locale: 'en-GB',
      email_verified: true,
    });
  });

  it('shows the control panel with the decision now', async () => {
    const probe = await gh.api('GET', `/v1/orgs/${orgId}/control`, { token: apiToken });
    expect(probe.status).toBe(200);
    await page.getByRole('heading', { name: 'Decision now' }).waitFor();
    expect(await page.getByTestId('control-unavailable').count()).toBe(0);
  });

  it('opens an application and rotates its secret with an overlap', async () => {
    await page.getByRole('link', { name: 'billing-worker' }).click();
    await page.getByRole('heading', { name: 'Application', level: 1 }).waitFor();
    await page.getByLabel(/Overlap/).fill('3600');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await expect(page.getByTestId('shown-once').textContent()).resolves.toMatch(/^ghs_/);
    await page.locator('tbody tr').nth(1).waitFor();
    await accessible('application');
    await appToken(); // the old secret still works during the overlap
    await page.getByLabel('Access token lifetime (seconds)').fill('300');
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.getByRole('button', { name: 'Save application' }).click();
    expect((await saved).status()).toBe(200);
    const app = await gh.api('GET', `/v1/orgs/${orgId}/apps/${client.client_id}`, { token: apiToken });
    expect(app.body.token_ttl_s).toBe(300);
  });

  it('registers public keys and DPoP requirements for the application (private_key_jwt)', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'console-1' };
    await page.getByLabel('Method').selectOption('private_key_jwt');
    await page.getByLabel('JWK Set', { exact: true }).fill(JSON.stringify({ keys: [jwk] }));
    await page.getByLabel('Require DPoP-bound access tokens').check();
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.getByRole('button', { name: 'Save authentication' }).click();
    expect((await saved).status()).toBe(200);
    await page.getByTestId('secrets-unused').waitFor();
    await accessible('application-keys');
    const app = await gh.api('GET', `/v1/orgs/${orgId}/apps/${client.client_id}`, { token: apiToken });
    expect(app.body).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
      dpop_bound_access_tokens: true,
    });
    // A private key pasted by mistake is refused, and the refusal names the key.
    await page
      .getByLabel('JWK Set', { exact: true })
      .fill(JSON.stringify({ keys: [generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })] }));
    await page.getByRole('button', { name: 'Save authentication' }).click();
    await page.getByRole('listitem').filter({ hasText: 'jwks.keys.0: must be a public key' }).waitFor();
    // Back to the secret, for the steps that follow.
    await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${client.client_id}`, {
      token: apiToken,
      body: { token_endpoint_auth_method: 'client_secret_basic', dpop_bound_access_tokens: false },
    });
    await page.reload();
  });

  it('edits the application’s browser sign-in, showing the API’s validation errors (docs/sign-in.md#clients)', async () => {
    const form = page.getByRole('form', { name: 'Edit browser sign-in' });
    // The code grant without a redirect URI, and an http redirect to a public host: both refused, each named.
    await form.getByLabel('Authorization code grant (sign people in)').check();
    await form.getByRole('button', { name: 'Save browser sign-in' }).click();
    await form
      .getByRole('listitem')
      .filter({ hasText: /^redirect_uris: / })
      .waitFor();
    await form.getByLabel('Redirect URIs', { exact: true }).fill('http://billing.example/cb');
    await form.getByRole('button', { name: 'Save browser sign-in' }).click();
    await form
      .getByRole('listitem')
      .filter({ hasText: /^redirect_uris\[0\]: / })
      .waitFor();
    await accessible('application-sign-in');
    await form
      .getByLabel('Redirect URIs', { exact: true })
      .fill('https://billing.example/cb\nhttp://127.0.0.1:8080/cb');
    await form.getByLabel('Post-logout redirect URIs').fill('https://billing.example/');
    await form.getByLabel('First party (no consent page)').check();
    await form.getByLabel('Logo URL').fill('https://billing.example/logo.png');
    await form.getByLabel('Privacy policy URL').fill('https://billing.example/privacy');
    await form.getByLabel(/Allow the legacy password endpoint/).uncheck();
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await form.getByRole('button', { name: 'Save browser sign-in' }).click();
    expect((await saved).status()).toBe(200);
    await page.getByTestId('sign-in-facts').getByText('first party (no consent page)').waitFor();
    const app = await gh.api('GET', `/v1/orgs/${orgId}/apps/${client.client_id}`, { token: apiToken });
    expect(app.body).toMatchObject({
      redirect_uris: ['https://billing.example/cb', 'http://127.0.0.1:8080/cb'],
      post_logout_redirect_uris: ['https://billing.example/'],
      client_type: 'confidential',
      require_pkce: true,
      consent: 'first_party',
      logo_uri: 'https://billing.example/logo.png',
      policy_uri: 'https://billing.example/privacy',
      client_uri: null,
      password_login: false,
    });
    expect(app.body.grant_types).toContain('authorization_code');
  });

  it('rotates the signing key from the keys timeline', async () => {
    const token = apiToken;
    const before = (await gh.api('GET', '/v1/keys', { token })).body.keys.find(
      (k: { state: string }) => k.state === 'current',
    ).kid;
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.getByRole('heading', { name: 'Signing keys' }).waitFor();
    // The next key may sign only once it has been published long enough (docs/architecture.md#keys-and-tokens).
    await gh.sql(`UPDATE signing_keys SET created_at = created_at - interval '1 day' WHERE state = 'next'`);
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.locator('tr[data-state="retired"]').first().waitFor();
    const after = (await gh.api('GET', '/v1/keys', { token })).body.keys.find(
      (k: { state: string }) => k.state === 'current',
    ).kid;
    expect(after).not.toBe(before);
    await page.getByRole('button', { name: `Emergency revoke ${after}` }).click();
    await page.getByRole('dialog').getByText('every token it signed stops verifying').waitFor();
    await accessible('keys-revoke-confirmation');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await accessible('keys');
  });

  it('filters the audit log and verifies the chain', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByRole('cell', { name: 'key.rotated' }).first().waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await expect(page.getByTestId('chain-report').textContent()).resolves.toMatch(/^The chain is intact: \d+ events/);
    await page.getByLabel('Action').fill('app.created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Export the 1 loaded events (NDJSON)').waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export every matching event' }).click();
    const lines = readFileSync((await (await download).path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['app.created']);
    await accessible('audit');
  });

  it('inspects a token: verified claims, revocation state and the decision', async () => {
    const token = await appToken();
    await page.getByRole('link', { name: 'Token inspector' }).click();
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Inspect' }).click();
    await page.getByRole('cell', { name: client.client_id }).first().waitFor();
    await expect(page.getByTestId('revocation').textContent()).resolves.toBe('Not revoked');
    await expect(page.getByTestId('decision').textContent()).resolves.toMatch(/^Allow/);
    await accessible('token-inspector');
    const revoked = await clientPost(gh.url, client, '/oauth/revoke', { token });
    expect(revoked.status).toBe(200);
    await page.getByRole('button', { name: 'Inspect' }).click();
    await page.getByText('Revoked: this token no longer works').waitFor();
    // A per-step token from a real token exchange (RFC 8693): the orchestrator's token,
    // exchanged by its delegate for the step "research"; the inspector draws its act chain.
    const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
    const mkApp = async (name: string, extra: Record<string, unknown>) =>
      (
        await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
          token: apiToken,
          body: {
            password_login: true,
            name,
            scopes: ['research'],
            grant_types: ['client_credentials', EXCHANGE],
            ...extra,
          },
        })
      ).body as { client_id: string; client_secret: string };
    const specialist = await mkApp('researcher', {});
    const orchestrator = await mkApp('orchestrator', { delegates: [specialist.client_id] });
    const root = (await (
      await clientPost(gh.url, orchestrator, '/oauth/token', { grant_type: 'client_credentials' })
    ).json()) as {
      access_token: string;
    };
    const exchanged = await clientPost(gh.url, specialist, '/oauth/token', {
      grant_type: EXCHANGE,
      subject_token: root.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      step: 'research',
    });
    expect(exchanged.status).toBe(200);
    const step = ((await exchanged.json()) as { access_token: string }).access_token;
    await page.getByLabel('Access token').fill(step);
    await page.getByRole('button', { name: 'Inspect' }).click();
    const chain = page.getByRole('list', { name: /Delegation chain/ });
    await chain.waitFor();
    await expect(chain.locator('.node').allTextContents()).resolves.toEqual([
      orchestrator.client_id,
      specialist.client_id,
    ]);
    await accessible('token-inspector-act-chain');
    await page.getByLabel('Access token').fill('eyJhbGciOiJub25lIn0.e30.');
    await page.getByRole('button', { name: 'Inspect' }).click();
    await page.getByTestId('inspect-invalid').waitFor();
  });

  it('suspends a contract and shows the refusal reason in the token inspector (needs the control layer)', async () => {
    const probe = await gh.api('GET', `/v1/orgs/${orgId}/control`, {
      token: apiToken,
    });
    expect(probe.status).toBe(200);
    const token = await appToken();
    await visit(`/orgs/${orgId}`);
    await page.getByLabel('Contract status', { exact: true }).selectOption('suspended');
    await page.getByLabel('Contract status: reason (audited)').fill('unpaid invoice, console test');
    await page.getByRole('button', { name: 'Set contract status' }).click();
    await page.getByTestId('decision').first().getByText('contract_inactive').waitFor();
    await page.getByRole('link', { name: 'Token inspector' }).click();
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Inspect' }).click();
    const decision = page.getByTestId('decision');
    await decision.getByText('contract_inactive').waitFor();
    await expect(decision.textContent()).resolves.toMatch(/Recovery:.*contract/i);
    await accessible('token-inspector-refusal');
  });

  it('works at 390×844 with no serious accessibility violation on any page', async () => {
    await page.setViewportSize(PHONE);
    const pages: [string, string, RegExp][] = [
      ['/orgs', 'organizations', /Organizations/],
      [`/orgs/${orgId}`, 'organization', /Organization/],
      ['/keys', 'keys', /Signing keys/],
      ['/audit', 'audit', /Audit log/],
      ['/inspector', 'token-inspector', /Token inspector/],
    ];
    for (const [path, name, heading] of pages) {
      await visit(path);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await accessible(`${name}-phone`);
      const wide = await page.evaluate(`[...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
        .map((e) => e.tagName + '.' + e.className).slice(0, 5)`);
      expect({ path, wide }).toEqual({ path, wide: [] });
    }
    await page.setViewportSize(DESKTOP);
  });

  it('is keyboard-navigable: skip link first, visible focus', async () => {
    await visit('/orgs');
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    await page.keyboard.press('Tab');
    const first = await page.evaluate('document.activeElement.textContent');
    expect(first).toBe('Skip to content');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
  });

  it('signs out: the refresh family ends and the cookie is gone', async () => {
    const cookie = (await browser.context.cookies(gh.url + '/v1/console/session/refresh'))[0].value;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    expect(await browser.context.cookies(gh.url + '/v1/console/session/refresh')).toEqual([]);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    const replay = await fetch(`${gh.url}/v1/console/session/refresh`, {
      method: 'POST',
      headers: { cookie: `gatehouse_console_refresh=${cookie}`, origin: gh.url, 'x-gatehouse-console': '1' },
    });
    expect(replay.status).toBe(400);
  });

  it('enrols a new administrator: QR code, activation, recovery codes shown once, then sign-in with one', async () => {
    const fresh = await cliCreateAdmin(gh, { platform: true, deferMfa: true });
    await page.getByLabel('Email').fill(fresh.email);
    await page.getByLabel('Password').fill(fresh.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator' }).waitFor();
    await page.getByRole('img', { name: /QR code for otpauth:\/\/totp\// }).waitFor();
    await accessible('enrolment');
    const secret = (await page.getByTestId('totp-secret').textContent())!;
    await page.getByLabel('Code from the app').fill(await totp(secret));
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const codes = await page.getByRole('list', { name: 'Recovery codes list' }).locator('code').allTextContents();
    expect(codes.length).toBeGreaterThanOrEqual(8);
    await accessible('recovery-codes');
    await page.getByRole('button', { name: /I have saved them/ }).click();
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    await page.getByLabel('Authentication code').fill(codes[0]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    await page.getByText(fresh.email).waitFor();
  });
  it('shows an org admin only its organizations and none of the platform actions', async () => {
    const other = await gh.api('POST', '/v1/orgs', {
      token: apiToken,
      body: { name: 'hidden-org', display_name: 'Hidden' },
    });
    expect(other.status).toBe(201);
    const orgAdmin = await cliCreateAdmin(gh, { orgIds: [orgId] });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').fill(orgAdmin.email);
    await page.getByLabel('Password').fill(orgAdmin.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Authentication code').fill(await totp(orgAdmin.mfa.secret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Acme (console)' }).waitFor();
    expect(await page.getByRole('link', { name: 'Hidden' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'New organization' }).count()).toBe(0);
    await accessible('organizations-org-admin');
    await visit(`/orgs/${other.body.id}`);
    await page.getByRole('alert').getByText('not_found').waitFor();
    await visit('/keys');
    await page.getByRole('heading', { name: 'Signing keys' }).waitFor();
    expect(await page.getByRole('button', { name: 'Rotate now' }).count()).toBe(0);
    await visit('/audit');
    await page.getByText('Only platform administrators verify the whole chain.').waitFor();
  });
});
