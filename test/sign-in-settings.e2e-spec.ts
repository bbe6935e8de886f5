import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrandingService, LOGO_MAX_BYTES } from '@gatehouse/directory';
import { cliCreateAdmin, loginAdmin, runGatehouseCli, startGatehouse, type TestGatehouse } from './support/gatehouse';

/** docs/sign-in-experience.md#sign-in-settings and #branding: the API, the CLI, the audit trail. */
describe('sign-in settings and branding', () => {
  let gh: TestGatehouse;
  let admin: string;
  let outsider: string;
  let org: { id: string };
  let app: { client_id: string };
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
  const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

  const upload = (path: string, type: string, body: Buffer, token = admin) =>
    fetch(`${gh.url}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: new Uint8Array(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    const other = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } }))
      .body;
    outsider = (await loginAdmin(gh, await cliCreateAdmin(gh, { orgIds: [other.id] }))).access_token;
    app = (await gh.api('POST', `/v1/orgs/${org.id}/apps`, { token: admin, body: { name: 'web', scopes: ['a'] } }))
      .body;
  });
  afterAll(() => gh?.close());

  it('answers the defaults, replaces the whole document, validates it, and audits the change', async () => {
    const path = `/v1/orgs/${org.id}/sign-in-settings`;
    expect((await gh.api('GET', path, { token: admin })).body).toEqual({
      passkeys: 'optional',
      mfa: 'optional',
      signup: 'off',
      signup_domains: [],
      default_locale: 'en',
    });
    const next = {
      passkeys: 'required',
      mfa: 'required',
      signup: 'domains',
      signup_domains: ['Acme.Test', 'acme.test', 'corp.acme.test'],
      default_locale: 'de',
    };
    const put = await gh.api('PUT', path, { token: admin, body: next });
    expect(put.status).toBe(200);
    expect(put.body.signup_domains).toEqual(['acme.test', 'corp.acme.test']);
    expect((await gh.api('GET', path, { token: admin })).body).toEqual(put.body);

    for (const bad of [
      { ...next, signup_domains: [] },
      { ...next, signup_domains: ['*.acme.test'] },
      { ...next, mfa: 'always' },
      { ...next, default_locale: 'fr' },
      { ...next, extra: true },
    ]) {
      const r = await gh.api('PUT', path, { token: admin, body: bad });
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    // Another org's admin sees nothing: 404, as for an org that does not exist.
    expect((await gh.api('GET', path, { token: outsider })).status).toBe(404);
    expect((await gh.api('PUT', path, { token: outsider, body: next })).status).toBe(404);

    const rows = await gh.sql<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE action = 'org.sign_in_settings.changed' AND org_id = $1`,
      [org.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.details).toMatchObject({ mfa: 'required', previous: { mfa: 'optional' } });
  });

  it('the CLI reads and changes the same settings', async () => {
    const set = await runGatehouseCli(gh, [
      'sign-in-settings',
      'set',
      '--org',
      org.id,
      '--signup',
      'open',
      '--default-locale',
      'en',
      '--json',
    ]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out.join('\n'))).toMatchObject({
      signup: 'open',
      passkeys: 'required',
      default_locale: 'en',
    });
    const bad = await runGatehouseCli(gh, ['sign-in-settings', 'set', '--org', org.id, '--mfa', 'sometimes']);
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toMatch(/mfa/);
  });

  it('keeps branding per org and per app, refuses colours white text cannot be read on', async () => {
    const path = `/v1/orgs/${org.id}/branding`;
    expect((await gh.api('GET', path, { token: admin })).body).toEqual({
      display_name: null,
      primary_color: null,
      logo_url: null,
      logo_type: null,
      updated_at: null,
    });
    const refused = await gh.api('PUT', path, { token: admin, body: { primary_color: '#ffd60a' } });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/WCAG AA/);
    expect((await gh.api('PUT', path, { token: admin, body: { primary_color: 'blue' } })).status).toBe(400);
    const put = await gh.api('PUT', path, {
      token: admin,
      body: { display_name: 'Acme Corp', primary_color: '#0B5FFF' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ display_name: 'Acme Corp', primary_color: '#0b5fff' });
    expect((await gh.api('PUT', path, { token: outsider, body: { display_name: 'x' } })).status).toBe(404);

    const appPath = `/v1/orgs/${org.id}/apps/${app.client_id}/branding`;
    expect((await gh.api('PUT', appPath, { token: admin, body: { primary_color: '#7a1fa2' } })).status).toBe(200);
    const brandings = gh.app.get(BrandingService);
    expect(await brandings.effective(org.id, app.client_id)).toEqual({
      display_name: 'Acme Corp',
      primary_color: '#7a1fa2',
      logo_url: null,
    });
    expect(await brandings.effective(org.id)).toMatchObject({ primary_color: '#0b5fff' });
    // Clearing a field falls back to the org, then to the default.
    expect((await gh.api('PUT', appPath, { token: admin, body: { primary_color: null } })).status).toBe(200);
    expect((await brandings.effective(org.id, app.client_id))!.primary_color).toBe('#0b5fff');
  });

  it('stores a logo after checking its type, bytes and size, and serves it from its own origin', async () => {
    const logoPath = `/v1/orgs/${org.id}/branding/logo`;
    expect((await upload(logoPath, 'image/svg+xml', Buffer.from('<svg onload="x()"/>'))).status).toBe(415);
    expect((await upload(logoPath, 'image/jpeg', png)).status).toBe(400);
    const big = Buffer.concat([png, Buffer.alloc(LOGO_MAX_BYTES)]);
    const tooBig = await upload(logoPath, 'image/png', big);
    expect(tooBig.status).toBe(413);
    expect((await upload(logoPath, 'image/png', png, outsider)).status).toBe(404);
    // An image body anywhere else is refused.
    expect((await upload(`/v1/orgs/${org.id}/sign-in-settings`, 'image/png', png)).status).toBe(415);

    expect((await gh.api('GET', logoPath)).status).toBe(404);
    const ok = await upload(logoPath, 'image/png', png);
    expect(ok.status).toBe(200);
    expect(ok.body.logo_url).toMatch(new RegExp(`^/v1/orgs/${org.id}/branding/logo\\?v=`));
    const served = await fetch(`${gh.url}${ok.body.logo_url as string}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('cache-control')).toMatch(/immutable/);
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);

    // The app's own logo wins over the org's; without one, the org's is used.
    const appLogo = `/v1/orgs/${org.id}/apps/${app.client_id}/branding/logo`;
    const brandings = gh.app.get(BrandingService);
    expect((await brandings.effective(org.id, app.client_id))!.logo_url).toBe(ok.body.logo_url);
    expect((await upload(appLogo, 'image/gif', gif)).status).toBe(200);
    const appServed = await fetch(`${gh.url}${(await brandings.effective(org.id, app.client_id))!.logo_url!}`);
    expect(appServed.headers.get('content-type')).toBe('image/gif');
    expect((await gh.api('DELETE', appLogo, { token: admin })).status).toBe(200);
    expect((await brandings.effective(org.id, app.client_id))!.logo_url).toBe(ok.body.logo_url);

    const audit = await gh.sql<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE action = 'org.branding.changed' AND details ? 'logo' ORDER BY seq`,
    );
    expect(audit.map((r) => r.details.logo)).toEqual([
      { type: 'image/png', bytes: png.length, sha256: expect.any(String) },
      { type: 'image/gif', bytes: gif.length, sha256: expect.any(String) },
      null,
    ]);
  });

  it('the CLI sets branding and a logo from a file', async () => {
    const file = join(tmpdir(), `gh-logo-${process.pid}.png`);
    writeFileSync(file, png);
    const r = await runGatehouseCli(gh, [
      'branding',
      'set',
      '--org',
      org.id,
      '--app',
      app.client_id,
      '--display-name',
      'Acme Web',
      '--logo',
      file,
      '--logo-type',
      'image/png',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.join('\n'))).toMatchObject({ display_name: 'Acme Web', logo_type: 'image/png' });
    const bad = await runGatehouseCli(gh, ['branding', 'set', '--org', org.id, '--primary-color', '#ffff00']);
    expect(bad.code).toBe(1);
  });

  it('org admins set a user’s email_verified', async () => {
    const user = (
      await gh.api('POST', `/v1/orgs/${org.id}/users`, {
        token: admin,
        body: { email: 'v@acme.test', password: 'User-Strong-Pass-42' },
      })
    ).body;
    expect(user).toMatchObject({ email_verified: false, mfa_active: false });
    const r = await gh.api('PATCH', `/v1/orgs/${org.id}/users/${user.id}`, {
      token: admin,
      body: { email_verified: true },
    });
    expect(r.status).toBe(200);
    expect(r.body.email_verified).toBe(true);
  });
});
