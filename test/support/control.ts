import { signStripePayload } from '@gatehouse/control';
import { clientPost, cliCreateAdmin, loginAdmin, type ApiResponse, type TestGatehouse } from './gatehouse';

/** An org with one app and one user, and a platform admin session to govern it. */
export interface ControlFixture {
  admin: string;
  orgId: string;
  app: { client_id: string; client_secret: string };
  user: { id: string; email: string; password: string };
}

let n = 0;

export async function controlFixture(
  gh: TestGatehouse,
  appBody: Record<string, unknown> = {},
): Promise<ControlFixture> {
  const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
  const org = await gh.api('POST', '/v1/orgs', {
    token: admin,
    body: { name: `ctl-${++n}-${Date.now() % 100000}`, display_name: 'Ctl' },
  });
  if (org.status !== 201) throw new Error(`org: ${org.status} ${org.text}`);
  const app = await gh.api('POST', `/v1/orgs/${org.body.id}/apps`, {
    token: admin,
    body: { password_login: true, name: 'svc', scopes: ['things:read'], ...appBody },
  });
  if (app.status !== 201) throw new Error(`app: ${app.status} ${app.text}`);
  const user = { email: `ann${n}@ctl.test`, password: 'Ann-Strong-Pass-42' };
  const u = await gh.api('POST', `/v1/orgs/${org.body.id}/users`, { token: admin, body: user });
  if (u.status !== 201) throw new Error(`user: ${u.status} ${u.text}`);
  return { admin, orgId: org.body.id, app: app.body, user: { id: u.body.id, ...user } };
}

/** POST /access/v1/evaluation as the fixture's app (its own client credentials). */
export async function evaluate(
  gh: Pick<TestGatehouse, 'api'>,
  f: ControlFixture,
  body: unknown,
  path = '/access/v1/evaluation',
): Promise<ApiResponse> {
  const basic = Buffer.from(`${f.app.client_id}:${f.app.client_secret}`).toString('base64');
  return gh.api('POST', path, { body, headers: { authorization: `Basic ${basic}` } });
}

export async function clientCredentials(gh: TestGatehouse, f: ControlFixture) {
  const res = await clientPost(gh.url, f.app, '/oauth/token', { grant_type: 'client_credentials' });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

export async function userSignIn(gh: TestGatehouse, f: ControlFixture): Promise<ApiResponse> {
  return gh.api('POST', `/v1/orgs/${f.orgId}/users/login`, {
    body: { client_id: f.app.client_id, email: f.user.email, password: f.user.password },
  });
}

export async function refresh(gh: TestGatehouse, f: ControlFixture, refreshToken: string) {
  const res = await clientPost(gh.url, f.app, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** A Stripe event signed as Stripe signs it (docs/control.md#stripe). */
export function stripeDelivery(gh: TestGatehouse, secret: string, event: unknown, t = Math.floor(Date.now() / 1000)) {
  const payload = JSON.stringify(event);
  return gh.api('POST', '/v1/integrations/stripe/webhook', {
    rawBody: payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(payload, secret, t) },
  });
}
