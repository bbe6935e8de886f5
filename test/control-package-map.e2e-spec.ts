import { clientCredentials, controlFixture, evaluate, userSignIn, type ControlFixture } from './support/control';
import { clientPost, runGatehouseCli, startGatehouse, type TestGatehouse } from './support/gatehouse';

/**
 * docs/control.md#package-map: a scope or a route may need a package. A token that carries a
 * mapped scope, and a request to a mapped route, stop with entitlement_not_granted while the
 * org lacks the package — at issuance, on a bearer route, at introspection and in decisions —
 * and work again on the next request once it is granted.
 */
describe('package map: scopes and routes that need a package', () => {
  let gh: TestGatehouse;
  let f: ControlFixture;

  const ctl = (method: string, path: string, body?: unknown) =>
    gh.api(method, `/v1/orgs/${f.orgId}${path}`, { token: f.admin, body });
  const introspect = async (token: string) => {
    const basic = Buffer.from(`${f.app.client_id}:${f.app.client_secret}`).toString('base64');
    const r = await fetch(`${gh.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams({ token }).toString(),
    });
    return (await r.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    gh = await startGatehouse();
    f = await controlFixture(gh, { scopes: ['things:read', 'reports:read'] });
  });
  afterAll(() => gh.close());

  it('validates the map and shows it in the control state', async () => {
    const bad = await ctl('PUT', '/package-map', { routes: [{ route: 'FETCH /x', package: 'reports' }] });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await ctl('PUT', '/package-map', { scopes: { 'reports:read': 'Not A Package' } })).status).toBe(400);
    expect((await ctl('PUT', '/package-map', { scopes: {}, routes: [], extra: 1 })).status).toBe(400);
    const ok = await ctl('PUT', '/package-map', {
      scopes: { 'reports:read': 'reports' },
      routes: [{ route: 'GET /v1/me', package: 'profile' }],
      reason: 'reports are sold separately',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      scopes: { 'reports:read': 'reports' },
      routes: [{ route: 'GET /v1/me', package: 'profile' }],
    });
    const view = await ctl('GET', '/control');
    expect(view.body.package_map).toEqual(ok.body);
    // Its client-credentials tokens carry reports:read: the app's decision says so.
    const app = view.body.apps.find((a: { client_id: string }) => a.client_id === f.app.client_id);
    expect(app.decision.code).toBe('entitlement_not_granted');
    const audit = await gh.sql<{ reason: string; details: Record<string, unknown> }>(
      `SELECT reason, details FROM audit_events WHERE action = 'control.package_map.changed' AND org_id = $1`,
      [f.orgId],
    );
    expect(audit).toEqual([{ reason: 'reports are sold separately', details: { ...ok.body, by: 'platform_admin' } }]);
  });

  it('a mapped scope stops issuance, introspection and decisions until the package is granted', async () => {
    await ctl('PUT', '/package-map', { scopes: { 'reports:read': 'reports' } });
    // Asking for all the app's scopes includes the mapped one.
    const refused = await clientCredentials(gh, f);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'access_denied', reason: 'entitlement_not_granted' });
    expect(refused.body.recovery).toMatch(/package/);
    const decision = await gh.sql<{ details: { inputs: Record<string, unknown> } }>(
      `SELECT details FROM audit_events WHERE action = 'access.denied' AND details->>'decision_id' = $1`,
      [refused.body.decision_id],
    );
    expect(decision[0].details.inputs).toMatchObject({ package: 'reports', required_by: { scope: 'reports:read' } });

    // A token without the mapped scope is issued.
    const narrowRes = await clientPost(gh.url, f.app, '/oauth/token', {
      grant_type: 'client_credentials',
      scope: 'things:read',
    });
    expect(narrowRes.status).toBe(200);
    const narrow = { body: (await narrowRes.json()) as Record<string, string> };

    // A token carrying the scope, issued while the package was held, stops when it lapses.
    expect((await ctl('PUT', '/entitlements/reports', { status: 'active' })).status).toBe(200);
    const wide = await clientCredentials(gh, f);
    expect(wide.status).toBe(200);
    expect(await introspect(wide.body.access_token)).toMatchObject({ active: true });
    const asToken = () =>
      evaluate(gh, f, {
        subject: { type: 'token', id: wide.body.access_token },
        action: { name: 'read' },
        resource: { type: 'report', id: 'r1' },
      });
    expect((await asToken()).body.decision).toBe(true);

    expect((await ctl('PUT', '/entitlements/reports', { status: 'inactive' })).status).toBe(200);
    expect(await introspect(wide.body.access_token)).toMatchObject({
      active: false,
      reason: 'entitlement_not_granted',
    });
    expect((await asToken()).body).toMatchObject({ decision: false, context: { code: 'entitlement_not_granted' } });
    expect(await introspect(narrow.body.access_token)).toMatchObject({ active: true });

    // Recovery: grant the package; the next requests succeed.
    expect((await ctl('PUT', '/entitlements/reports', { status: 'active' })).status).toBe(200);
    expect(await introspect(wide.body.access_token)).toMatchObject({ active: true });
    expect((await clientCredentials(gh, f)).status).toBe(200);
  });

  it('a mapped route stops bearer calls and route decisions, and nothing else', async () => {
    await ctl('PUT', '/package-map', {
      routes: [
        { route: 'GET /v1/me', package: 'profile' },
        { route: '/reports/*', package: 'reports-ui' },
      ],
    });
    const session = await userSignIn(gh, f);
    expect(session.status).toBe(200);
    const token = session.body.access_token as string;
    const me = await gh.api('GET', '/v1/me', { token });
    expect(me.status).toBe(403);
    expect(me.body).toMatchObject({ code: 'entitlement_not_granted' });
    expect(me.body.recovery).toMatch(/package/);

    const route = (path: string, method = 'GET') =>
      evaluate(gh, f, {
        subject: { type: 'user', id: f.user.id },
        action: { name: method },
        resource: { type: 'route', id: path },
      });
    expect((await route('/reports/q3')).body.context).toMatchObject({ code: 'entitlement_not_granted' });
    expect((await route('/reports/q3', 'DELETE')).body.context.code).toBe('entitlement_not_granted'); // any method
    expect((await route('/v1/me', 'POST')).body.decision).toBe(true); // the mapping names GET
    expect((await route('/report')).body.decision).toBe(true); // not under /reports/
    // A resource that is not a route is not matched by path.
    expect(
      (
        await evaluate(gh, f, {
          subject: { type: 'user', id: f.user.id },
          action: { name: 'read' },
          resource: { type: 'doc', id: '/reports/q3' },
        })
      ).body.decision,
    ).toBe(true);

    expect((await ctl('PUT', '/entitlements/profile', { status: 'active' })).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token })).status).toBe(200);
    expect((await ctl('PUT', '/package-map', {})).status).toBe(200);
    expect((await route('/reports/q3')).body.decision).toBe(true);
  });

  it('the CLI replaces the map, audited as the cli', async () => {
    const out = await runGatehouseCli(gh, [
      'control',
      'package-map',
      '--org',
      f.orgId,
      '--scope',
      'reports:read=reports',
      '--route',
      'GET /reports*=reports',
      '--reason',
      'by script',
    ]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.out.join('\n'))).toEqual({
      scopes: { 'reports:read': 'reports' },
      routes: [{ route: 'GET /reports*', package: 'reports' }],
    });
    const bad = await runGatehouseCli(gh, [
      'control',
      'package-map',
      '--org',
      f.orgId,
      '--route',
      'FETCH /x=reports',
      '--reason',
      'r',
    ]);
    expect(bad.code).toBe(2);
    const rows = await gh.sql<{ actor_id: string }>(
      `SELECT actor_id FROM audit_events WHERE action = 'control.package_map.changed' AND reason = 'by script'`,
    );
    expect(rows).toEqual([{ actor_id: 'cli' }]);
  });
});
