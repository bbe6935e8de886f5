import { createHash, randomBytes } from 'node:crypto';
import { CookieBrowser } from './cookie-browser';
import type { TestGatehouse } from './gatehouse';

const CALLBACK = 'https://journey.example/cb';

/**
 * Browser sign-in for the audit coverage journey (docs/audit-events.md#browser-sign-in): a
 * refused request, prompt=none without a session, a sign-in with consent, a code redeemed and
 * reused, a consent forgotten, a logout — each writes its row.
 */
export async function browserSignInJourney(gh: TestGatehouse, admin: string): Promise<void> {
  const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'browser-journey', display_name: 'B' } }))
    .body;
  const email = 'journey@example.test';
  const password = 'Lantern-Quiet-Harbor-42';
  const user = await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } });
  if (user.status !== 201) throw new Error(`user: ${user.status} ${user.text}`);
  const app = (
    await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
      token: admin,
      body: {
        name: 'journey-web',
        scopes: ['notes:read'],
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [CALLBACK],
      },
    })
  ).body as { client_id: string; client_secret: string };
  const verifier = randomBytes(32).toString('base64url');
  const url = (extra: Record<string, string> = {}) =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.client_id,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid notes:read',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...extra,
    })}`;
  const expectStatus = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`${what}: ${got}, expected ${want}`);
  };
  // authorization.error, authorization.denied
  expectStatus('bad redirect', (await fetch(url({ redirect_uri: 'https://evil.example/' }))).status, 400);
  expectStatus('prompt=none', (await fetch(url({ prompt: 'none' }), { redirect: 'manual' })).status, 303);
  // session.started, user.login, consent.granted, authorization.granted
  const browser = new CookieBrowser(CALLBACK);
  let page = await browser.go(url());
  page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
  page = await browser.submit(gh.url, page, '/sign-in/password', { password });
  page = await browser.submit(gh.url, page, '/sign-in/consent', {}, 1);
  const code = new URL(page.url).searchParams.get('code');
  if (!code) throw new Error(`no code: ${page.status} ${page.body.slice(0, 300)}`);
  // authorization_code.redeemed, then .reused
  const redeem = () =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        code_verifier: verifier,
      }),
    });
  const first = await redeem();
  expectStatus('redeem', first.status, 200);
  const tokens = (await first.json()) as { access_token: string };
  // consent.revoked (before the reuse revokes the access token)
  expectStatus(
    'forget consent',
    (await gh.api('DELETE', `/v1/me/consents/${app.client_id}`, { token: tokens.access_token })).status,
    204,
  );
  expectStatus('reuse', (await redeem()).status, 400);
  // session.ended
  expectStatus('logout', (await browser.request(`${gh.url}/oauth/logout`)).status, 200);
}
