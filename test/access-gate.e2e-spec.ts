import {
  clientPost,
  cliCreateAdmin,
  loginAdmin,
  startGatehouse,
  type CliAdmin,
  type TestGatehouse,
} from './support/gatehouse';
import { SwitchableGate } from './support/switchable-gate';

/**
 * The access gate (docs/architecture.md#the-access-gate): a gate bound in the app
 * module is consulted before every issuance, at introspection and on every bearer route,
 * and its refusal reaches the client in that surface's format, with an audit row.
 */
describe('a deny-all access gate stops every path, each in its own format, audited', () => {
  let gh: TestGatehouse;
  const gate = new SwitchableGate();
  let admin: CliAdmin;
  let adminSession: { access_token: string; refresh_token: string };
  let org: { id: string };
  let app: { client_id: string; client_secret: string };
  let user: { access_token: string; refresh_token: string };
  const password = 'User-Strong-Pass-42';

  const oauth = (params: Record<string, string>) =>
    clientPost(gh.url, app, '/oauth/token', params).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, string>,
    }));
  const publicRefresh = (refreshToken: string) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: app.client_id, refresh_token: refreshToken }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
  const denials = (point: string) =>
    gh.sql<{ reason: string; details: Record<string, unknown>; actor_id: string }>(
      `SELECT reason, details, actor_id FROM audit_events WHERE action = 'access.denied' AND details->>'point' = $1`,
      [point],
    );

  beforeAll(async () => {
    gh = await startGatehouse({ accessGate: gate });
    admin = await cliCreateAdmin(gh, { platform: true });
    adminSession = await loginAdmin(gh, admin);
    const token = adminSession.access_token;
    org = (await gh.api('POST', '/v1/orgs', { token, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token,
        body: { password_login: true, name: 'web', scopes: ['read'] },
      })
    ).body;
    await gh.api('POST', `/v1/orgs/${org.id}/users`, { token, body: { email: 'dana@acme.test', password } });
    user = (
      await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
        body: { client_id: app.client_id, email: 'dana@acme.test', password },
      })
    ).body;
    expect(user.refresh_token).toMatch(/^ghr_/);
  });
  afterEach(() => gate.reset());
  afterAll(() => gh?.close());

  const expectOAuthDenied = (r: { status: number; body: Record<string, string> }) => {
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      error: 'access_denied',
      error_description: 'A test gate stopped this request.',
      reason: 'test_denied',
      recovery: 'Turn the test gate off.',
      decision_id: expect.stringMatching(/^dec_/),
    });
  };
  const expectProblemDenied = (r: { status: number; body: Record<string, unknown>; headers: Headers }) => {
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({
      code: 'test_denied',
      status: 403,
      detail: 'A test gate stopped this request.',
      recovery: 'Turn the test gate off.',
      decision_id: expect.stringMatching(/^dec_/),
    });
  };

  it('client credentials: RFC 6749 body with access_denied and the extension members, audited', async () => {
    gate.denyAll();
    expectOAuthDenied(await oauth({ grant_type: 'client_credentials' }));
    const [row] = await denials('issuance');
    expect(row).toMatchObject({ reason: 'test_denied', actor_id: app.client_id });
    expect(row.details).toMatchObject({ grant_type: 'client_credentials', scopes: ['read'], inputs: { gate: 'test' } });
    expect(
      await gh.sql(`SELECT 1 FROM audit_events WHERE action = 'token.issued' AND actor_id = $1`, [app.client_id]),
    ).toEqual([]);
  });

  it('refresh: refused without spending the refresh token', async () => {
    gate.denyAll();
    expectOAuthDenied(await publicRefresh(user.refresh_token));
    gate.reset();
    const again = await publicRefresh(user.refresh_token);
    expect(again.status).toBe(200);
    user.refresh_token = again.body.refresh_token;
  });

  it('user sign-in: problem+json whose code is the reason', async () => {
    gate.denyAll();
    const r = await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
      body: { client_id: app.client_id, email: 'dana@acme.test', password },
    });
    expectProblemDenied(r);
    expect((await denials('issuance')).some((d) => d.details.grant_type === 'user_login')).toBe(true);
  });

  it('admin sign-in and admin refresh', async () => {
    gate.denyAll();
    gate.when = (r) => r.subject.tier === 'admin';
    const first = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    expect(first.status).toBe(200); // the password step issues no token
    const code = admin.mfa.recovery_codes.shift()!;
    expectProblemDenied(
      await gh.api('POST', '/v1/admin/login/mfa', { body: { mfa_token: first.body.mfa_token, code } }),
    );
    expectProblemDenied(
      await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: adminSession.refresh_token } }),
    );
    const kinds = (await denials('issuance')).map((d) => d.details.grant_type);
    expect(kinds).toEqual(expect.arrayContaining(['admin_login']));
  });

  it('introspection: inactive, with the reason for the resource server', async () => {
    gate.denyAll();
    gate.when = (r) => r.point === 'introspection';
    const r = await clientPost(gh.url, app, '/oauth/introspect', { token: user.access_token });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      active: false,
      reason: 'test_denied',
      recovery: 'Turn the test gate off.',
      decision_id: expect.stringMatching(/^dec_/),
    });
    expect(await denials('introspection')).toHaveLength(1);
  });

  it('a bearer route: 403 problem+json on every request, with the route as the action', async () => {
    gate.denyAll();
    gate.when = (r) => r.point === 'request';
    expectProblemDenied(await gh.api('GET', '/v1/me', { token: user.access_token }));
    expectProblemDenied(await gh.api('GET', '/v1/orgs', { token: adminSession.access_token }));
    const asked = gate.asked.filter((r) => r.point === 'request');
    expect(asked.map((r) => r.action)).toEqual([
      { name: 'GET /v1/me', write: false },
      { name: 'GET /v1/orgs', write: false },
    ]);
    expect(await denials('request')).toHaveLength(2);
  });

  it('a review outcome carries the approval request id on both surfaces', async () => {
    gate.stop = {
      outcome: 'review',
      reason: 'approval_required',
      status: 403,
      message: 'This action needs an operator’s approval.',
      recovery: 'Ask an operator to approve the request, then retry.',
      approvalId: 'apr_test',
    };
    const r = await oauth({ grant_type: 'client_credentials' });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ error: 'access_denied', outcome: 'review', approval_id: 'apr_test' });
    const rows = await gh.sql(`SELECT details FROM audit_events WHERE action = 'access.review'`);
    expect(rows).toHaveLength(1);
  });

  it('with the gate open again, every path works', async () => {
    expect((await oauth({ grant_type: 'client_credentials' })).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: user.access_token })).status).toBe(200);
  });
});
