import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { FastRoutes } from './fast-routes';

/** A real node:http server: which requests the fast routes take, and which go on to Fastify. */
describe('FastRoutes', () => {
  let server: Server;
  let routes: FastRoutes;
  let url: string;
  const passedOn: string[] = [];

  beforeEach(async () => {
    passedOn.length = 0;
    routes = new FastRoutes();
    const fastify = (req: IncomingMessage, res: ServerResponse) => {
      passedOn.push(`${req.method} ${req.url}`);
      res.end('fastify');
    };
    server = routes.serverFactory(fastify, { keepAliveTimeout: 72_000, connectionTimeout: 0 });
    routes.get('/doc', (_req, res) => res.end('fast'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
  });

  const text = async (path: string, method = 'GET') => (await fetch(url + path, { method })).text();

  it('answers an exact GET or HEAD path itself, with or without a query string', async () => {
    expect(await text('/doc')).toBe('fast');
    expect(await text('/doc?x=1')).toBe('fast');
    expect((await fetch(url + '/doc', { method: 'HEAD' })).status).toBe(200);
    expect(passedOn).toEqual([]);
  });

  it('passes every other method and path to Fastify', async () => {
    expect(await text('/doc', 'POST')).toBe('fastify');
    expect(await text('/doc/')).toBe('fastify');
    expect(await text('/%64oc')).toBe('fastify');
    expect(await text('/other')).toBe('fastify');
    expect(passedOn).toEqual(['POST /doc', 'GET /doc/', 'GET /%64oc', 'GET /other']);
  });

  it('passes everything to Fastify once closing, so shutdown answers come from one place', async () => {
    routes.close();
    expect(await text('/doc')).toBe('fastify');
    expect(passedOn).toEqual(['GET /doc']);
  });

  it('passes a request to Fastify when its fast route throws, instead of crashing', async () => {
    routes.get('/broken', () => {
      throw new Error('no key set loaded yet');
    });
    expect(await text('/broken')).toBe('fastify');
    expect(passedOn).toEqual(['GET /broken']);
  });

  it('keeps the timeouts Fastify would have set on its own server', () => {
    expect(server.keepAliveTimeout).toBe(72_000);
  });
});
