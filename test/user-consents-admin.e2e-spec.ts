import { createHash, randomBytes } from 'node:crypto';
import { CookieBrowser } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

const CALLBACK = 'https://consents.example/cb';
const PASSWORD = 'Lantern-Quiet-Harbor-71';

/**
 * A user's remembered consents, for the org's administrators (docs/sign-in.md#consent):
 * `GET|DELETE /v1/orgs/{orgId}/users/{userId}/consents[/{clientId}]`, scoped to the org,
 * audited; forgetting one makes the next sign-in ask again.
 */
describe("org admins and a user's consents", () => {
  let gh: TestGatehouse;
  let platform: string;
  let orgAdmin: string;
  let otherAdmin: string;
  let orgId: string;
  let otherOrgId: string;
  let app: { client_id: string };
  let userId: string;
  let browser: CookieBrowser;
  const email = 'consenting@example.test';
  const verifier = randomBytes(32).toString('base64url');
  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.client_id,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid notes:read',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...extra,
    })}`;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    platform = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const mkOrg = async (name: string) =>
      (await gh.api('POST', '/v1/orgs', { token: platform, body: { name, display_name: name } })).body.id as string;
    orgId = await mkOrg('consenting');
    otherOrgId = await mkOrg('elsewhere');
    orgAdmin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: false, orgIds: [orgId] }))).access_token;
    otherAdmin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: false, orgIds: [otherOrgId] })))
      .access_token;
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: platform,
        body: {
          name: 'notes',
          scopes: ['notes:read'],
          grant_types: ['authorization_code'],
          redirect_uris: [CALLBACK],
        },
      })
    ).body;
    userId = (await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: platform, body: { email, password: PASSWORD } }))
      .body.id;
    // The user signs in once and agrees on the consent page.
    browser = new CookieBrowser(CALLBACK);
    let page = await browser.go(authorizeUrl());
    page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
    page = await browser.submit(gh.url, page, '/sign-in/password', { password: PASSWORD });
    page = await browser.submit(gh.url, page, '/sign-in/consent', {}, 1);
    expect(new URL(page.url).searchParams.get('code')).toEqual(expect.any(String));
    // Remembered: the session signs in again without a page.
    const again = await browser.request(authorizeUrl({ prompt: 'none' }));
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toEqual(expect.any(String));
  });
  afterAll(() => gh?.close());

  const consentsPath = (org = orgId, user = userId) => `/v1/orgs/${org}/users/${user}/consents`;

  it("an org admin lists the user's consents, in the shape of /v1/me/consents", async () => {
    const res = await gh.api('GET', consentsPath(), { token: orgAdmin });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        {
          client_id: app.client_id,
          resource: null,
          scopes: expect.arrayContaining(['openid', 'notes:read']),
          granted_at: expect.any(String),
        },
      ],
    });
  });

  it("another org's admin finds nothing: not the org, not the user through its own org", async () => {
    expect((await gh.api('GET', consentsPath(), { token: otherAdmin })).status).toBe(404);
    expect((await gh.api('GET', consentsPath(otherOrgId), { token: otherAdmin })).status).toBe(404);
    expect((await gh.api('DELETE', `${consentsPath()}/${app.client_id}`, { token: otherAdmin })).status).toBe(404);
    expect((await gh.api('DELETE', `${consentsPath(otherOrgId)}/${app.client_id}`, { token: otherAdmin })).status).toBe(
      404,
    );
    // Nothing was forgotten by those attempts.
    expect((await gh.api('GET', consentsPath(), { token: orgAdmin })).body.data).toHaveLength(1);
  });

  it('an org admin revokes it: audited, listed no more, and the next sign-in asks again', async () => {
    const res = await gh.api('DELETE', `${consentsPath()}/${app.client_id}`, { token: orgAdmin });
    expect(res.status).toBe(204);
    expect((await gh.api('GET', consentsPath(), { token: orgAdmin })).body).toEqual({ data: [] });
    const rows = await gh.sql<{ actor_tier: string; org_id: string; target_id: string; details: unknown }>(
      `SELECT actor_tier, org_id, target_id, details FROM audit_events WHERE action = 'consent.revoked'`,
    );
    expect(rows).toEqual([
      { actor_tier: 'admin', org_id: orgId, target_id: app.client_id, details: { user_id: userId } },
    ]);
    // A second DELETE has nothing to forget.
    expect((await gh.api('DELETE', `${consentsPath()}/${app.client_id}`, { token: orgAdmin })).status).toBe(404);
    // The browser session is still live, so prompt=none now answers consent_required rather
    // than a code, and a plain request shows the consent page.
    const none = await browser.request(authorizeUrl({ prompt: 'none' }));
    expect(new URL(none.headers.get('location')!).searchParams.get('error')).toBe('consent_required');
    const page = await browser.go(authorizeUrl());
    expect(page.url.startsWith(CALLBACK)).toBe(false);
    expect(page.body).toContain('action="/sign-in/consent"');
  });
});
