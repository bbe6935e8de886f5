import { startGatehouse, type TestGatehouse } from './support/gatehouse';

/**
 * The JWKS is answered by node:http before Fastify (apps/gatehouse/src/http/fast-routes.ts)
 * and, for what that path passes on, by a Fastify route. `app.inject()` reaches Fastify's
 * handler directly, so it shows the Fastify route's answer; a real HTTP request shows the
 * fast path's. They must be the same answer.
 */
describe('JWKS fast path', () => {
  let gh: TestGatehouse;
  const PATH = '/.well-known/jwks.json';

  const viaFastify = async (method: 'GET' | 'HEAD', headers: Record<string, string> = {}) => {
    const r = await gh.app.getHttpAdapter().getInstance().inject({ method, url: PATH, headers });
    return { status: r.statusCode, headers: r.headers as Record<string, string>, body: r.body };
  };
  const viaHttp = async (method: 'GET' | 'HEAD', headers: Record<string, string> = {}, path = PATH) => {
    const r = await fetch(gh.url + path, { method, headers });
    return { status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() };
  };
  const SAME = ['content-type', 'cache-control', 'etag', 'content-length'] as const;
  const pick = (h: Record<string, string>) => Object.fromEntries(SAME.map((k) => [k, h[k]]));

  beforeAll(async () => {
    gh = await startGatehouse();
  });
  afterAll(async () => {
    await gh?.close();
  });

  it('answers GET with the same status, headers and bytes as the Fastify route', async () => {
    const fast = await viaHttp('GET');
    const slow = await viaFastify('GET');
    expect(fast.status).toBe(200);
    expect(fast.body).toBe(slow.body);
    expect(pick(fast.headers)).toEqual(pick(slow.headers));
    expect(fast.headers['content-type']).toBe('application/jwk-set+json');
    expect(Number(fast.headers['content-length'])).toBe(Buffer.byteLength(fast.body));
    expect(JSON.parse(fast.body).keys.length).toBeGreaterThanOrEqual(2);
  });

  it('answers If-None-Match like the Fastify route: 304 without a body, 200 for a stale tag', async () => {
    const { headers } = await viaHttp('GET');
    for (const tag of [headers.etag, `W/${headers.etag}`, `"stale", ${headers.etag}`, '*']) {
      const fast = await viaHttp('GET', { 'if-none-match': tag });
      const slow = await viaFastify('GET', { 'if-none-match': tag });
      expect([fast.status, slow.status]).toEqual([304, 304]);
      expect(fast.body).toBe('');
      expect(fast.headers.etag).toBe(headers.etag);
      expect(fast.headers['cache-control']).toBe(slow.headers['cache-control']);
    }
    expect((await viaHttp('GET', { 'if-none-match': '"stale"' })).status).toBe(200);
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const get = await viaHttp('GET');
    const head = await viaHttp('HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(pick(head.headers)).toEqual(pick(get.headers));
  });

  it('gives every answer an X-Request-Id, keeping a sane one the caller sent', async () => {
    expect((await viaHttp('GET')).headers['x-request-id']).toMatch(/^req_[0-9A-Z]{26}$/);
    expect((await viaHttp('GET', { 'x-request-id': 'trace-42.a:b' })).headers['x-request-id']).toBe('trace-42.a:b');
    expect((await viaHttp('GET', { 'x-request-id': 'no spaces allowed' })).headers['x-request-id']).toMatch(/^req_/);
  });

  it('ignores a query string, and leaves other methods and paths to Fastify', async () => {
    const plain = await viaHttp('GET');
    expect((await viaHttp('GET', {}, `${PATH}?cache=bust`)).body).toBe(plain.body);
    const post = await fetch(gh.url + PATH, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(post.status).toBe(404);
    expect(post.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await viaHttp('GET', {}, `${PATH}/`)).status).toBe(404);
  });
});
