import { createHash, randomBytes } from 'node:crypto';
import { CookieBrowser } from './support/cookie-browser';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres';

const CALLBACK = 'https://outage.example/cb';

/**
 * docs/sign-in.md#errors: with PostgreSQL stopped, every browser route answers a 503 page —
 * HTML, `Retry-After`, the request id on the page and in `x-request-id` — never JSON, a stack
 * trace or a redirect carrying half a result. The PostgreSQL is the test's own, so stopping it
 * touches nobody else; once it is back, the same browser carries on.
 */
describe('hosted pages with PostgreSQL stopped', () => {
  let pg: OwnPostgres;
  let gh: TestGatehouse;
  let app: { client_id: string };
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const authorizeUrl = () =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.client_id,
      redirect_uri: CALLBACK,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`;

  beforeAll(async () => {
    pg = await startOwnPostgres();
    gh = await startGatehouse({ pgServer: pg.url });
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'outage', display_name: 'O' } })).body
      .id;
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: { name: 'web', scopes: ['a'], grant_types: ['authorization_code'], redirect_uris: [CALLBACK] },
      })
    ).body;
  });
  afterAll(async () => {
    await pg?.start();
    await gh?.close().catch(() => undefined);
    await pg?.destroy();
  });

  function expectOutagePage(res: { status: number; headers: Headers; body: string }) {
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('location')).toBeNull();
    const id = res.headers.get('x-request-id');
    expect(id).toEqual(expect.any(String));
    expect(res.body).toContain(`<dd>${id}</dd>`);
    expect(res.body).toContain('temporarily unavailable');
    expect(res.body).not.toMatch(/"code"|"status"|at \w+ \(|PrismaClient|ECONNREFUSED/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  }

  it('answers the authorization endpoint and the sign-in pages with a 503 page, then recovers', async () => {
    const browser = new CookieBrowser(CALLBACK);
    // Up: the request is parked and the identify page shows.
    const before = await browser.go(authorizeUrl());
    expect(before.status).toBe(200);
    expect(before.body).toContain('action="/sign-in/identify"');

    await pg.stopImmediate();
    expectOutagePage(await browser.request(authorizeUrl()));
    expectOutagePage(await browser.request(`${gh.url}/sign-in`));
    const [form] = CookieBrowser.forms(before);
    expectOutagePage(
      await browser.request(`${gh.url}/sign-in/identify`, { form: { ...form.fields, email: 'a@example.test' } }),
    );

    await pg.start();
    // Back: the parked request was never half-written, so the same browser carries on.
    let after = await browser.go(`${gh.url}/sign-in`);
    for (let i = 0; i < 20 && after.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 500));
      after = await browser.go(`${gh.url}/sign-in`);
    }
    expect(after.status).toBe(200);
    expect(after.body).toContain('action="/sign-in/identify"');
  });
});
