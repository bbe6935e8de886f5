import { AccessTokenService } from '@gatehouse/tokens';
import { cliCreateAdmin, hasRedis, startGatehouse, type ApiResponse, type TestGatehouse } from './support/gatehouse';

/**
 * The HTTP surface around the management API (docs/design.md §5): malformed, oversized and
 * non-JSON bodies, unknown routes, the RFC 9457 problem shape every error shares (content
 * type, request_id = X-Request-Id, no stack trace), request-id propagation, and the
 * health, readiness, OpenAPI and docs endpoints.
 */
describe('HTTP errors and service endpoints', () => {
  let gh: TestGatehouse;
  let token: string;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    const admin = await cliCreateAdmin(gh, { platform: true });
    token = (await gh.app.get(AccessTokenService).mint({ tier: 'admin', sub: admin.id, scopes: ['admin'], ttlS: 600 }))
      .token;
  });
  afterAll(() => gh?.close());

  /** The RFC 9457 shape every management-API error shares. */
  function expectProblem(res: ApiResponse, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code, type: `urn:gatehouse:problem:${code}` });
    expect(typeof res.body.title).toBe('string');
    expect(res.body.request_id).toBeTruthy();
    expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
    expect(res.body.stack).toBeUndefined();
    // No stack frames or file paths, whatever the field.
    expect(res.text).not.toMatch(/\bat \S+ \(|\.(ts|js):\d+|node_modules|\/work\//);
  }

  const orgBody = (raw: string, contentType: string) =>
    gh.api('POST', '/v1/orgs', { token, rawBody: raw, headers: { 'content-type': contentType } });

  it('answers malformed JSON with 400 malformed_request, on public and bearer routes alike', async () => {
    const login = await gh.api('POST', '/v1/admin/login', {
      rawBody: '{"email": "a@b.test",',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(login, 400, 'malformed_request');
    expect(login.body.detail).toMatch(/JSON/);
    // The parser's message (which quotes the input) does not reach the client.
    expect(login.text).not.toContain('a@b.test');

    const org = await orgBody("{name: 'acme'}", 'application/json');
    expectProblem(org, 400, 'malformed_request');
    expect(await gh.sql(`SELECT id FROM organizations`)).toEqual([]);
  });

  it('refuses a body over the 64 KiB limit with 413 payload_too_large', async () => {
    const big = JSON.stringify({ name: 'big-org', display_name: 'x'.repeat(65 * 1024) });
    const res = await orgBody(big, 'application/json');
    expectProblem(res, 413, 'payload_too_large');
    // Just under the limit is parsed (and then validated): the limit is the body size, not less.
    const under = await orgBody(
      JSON.stringify({ name: 'big-org', display_name: 'x'.repeat(60 * 1024) }),
      'application/json',
    );
    expectProblem(under, 400, 'validation_failed');
  });

  it('refuses text/plain bodies on JSON endpoints with 415', async () => {
    const res = await orgBody('{"name":"plain-org","display_name":"Plain"}', 'text/plain');
    expectProblem(res, 415, 'unsupported_media_type');
    expect(await gh.sql(`SELECT id FROM organizations WHERE name = 'plain-org'`)).toEqual([]);
  });

  it('refuses form-encoded bodies on JSON endpoints with 415', async () => {
    const res = await orgBody('name=form-org&display_name=Form', 'application/x-www-form-urlencoded');
    expectProblem(res, 415, 'unsupported_media_type');
    expect(await gh.sql(`SELECT id FROM organizations WHERE name = 'form-org'`)).toEqual([]);
  });

  it('answers an unknown route with a 404 problem, with or without a token', async () => {
    const anon = await gh.api('GET', '/v1/nothing-here');
    expectProblem(anon, 404, 'not_found');
    expect(anon.body.instance).toBe('/v1/nothing-here');
    const authed = await gh.api('POST', '/no/such/route?x=1', { token, body: {} });
    expectProblem(authed, 404, 'not_found');
    expect(authed.body.instance).toBe('/no/such/route');
  });

  it('answers validation, auth and not-found errors in the same problem shape', async () => {
    expectProblem(await gh.api('POST', '/v1/orgs', { token, body: { name: 'ok-name' } }), 400, 'validation_failed');
    expectProblem(await gh.api('GET', '/v1/orgs'), 401, 'invalid_token');
    expectProblem(await gh.api('GET', '/v1/orgs/org_01ARZ3NDEKTSV4RRFFQ69G5FAV', { token }), 404, 'not_found');
  });

  it('echoes a sane incoming X-Request-Id and uses it in the problem body', async () => {
    const rid = 'trace-4f2a.9:b_c';
    const ok = await gh.api('GET', '/healthz', { headers: { 'x-request-id': rid } });
    expect(ok.headers.get('x-request-id')).toBe(rid);
    const err = await gh.api('GET', '/v1/me', { headers: { 'x-request-id': rid } });
    expectProblem(err, 401, 'invalid_token');
    expect(err.body.request_id).toBe(rid);
  });

  it('replaces an unsafe or oversized X-Request-Id with its own', async () => {
    for (const bad of ['has space', 'a'.repeat(200), 'inject"quote']) {
      const res = await gh.api('GET', '/v1/me', { headers: { 'x-request-id': bad } });
      const rid = res.headers.get('x-request-id');
      expect(rid).not.toBe(bad);
      expect(rid).toMatch(/^req_[0-9A-Z]{26}$/);
      expect(res.body.request_id).toBe(rid);
    }
  });

  it('gives every request its own id when none is sent', async () => {
    const a = await gh.api('GET', '/healthz');
    const b = await gh.api('GET', '/healthz');
    expect(a.headers.get('x-request-id')).toMatch(/^req_/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('GET /healthz answers 200 without touching anything else', async () => {
    const res = await gh.api('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('GET /readyz reports Postgres (and Redis when configured) as ok', async () => {
    const res = await gh.api('GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.postgres).toBe('ok');
    expect(res.body.checks.redis).toBe(hasRedis() ? 'ok' : 'not_configured');
  });

  it('GET /openapi.json lists the /v1 management paths', async () => {
    const res = await gh.api('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      '/v1/admin/login',
      '/v1/admin/login/mfa',
      '/v1/me',
      '/v1/orgs',
      '/v1/orgs/{orgId}',
      '/v1/orgs/{orgId}/apps',
      '/v1/orgs/{orgId}/apps/{appId}',
      '/v1/orgs/{orgId}/users',
      '/v1/orgs/{orgId}/users/{userId}',
    ]) {
      expect(paths).toContain(p);
    }
    expect(Object.keys(res.body.paths['/v1/orgs/{orgId}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
  });

  it('GET /docs returns an HTML page', async () => {
    const res = await gh.api('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text).toMatch(/swagger/i);
  });
});
