import { createServer, type Server } from 'node:http';
import { Controller, Get, HttpCode, Module, Post, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  authenticatedRequest,
  createProtectedResource,
  expressProtectedResource,
  fastifyProtectedResource,
  fastifyProtectedResourceMetadata,
  protectNodeRequest,
  type ProtectedResource,
} from '@gatehouse/verifier';
import { protectedResourceGuard, protectedResourceMetadataController, RequireScopes } from '@gatehouse/verifier/nest';
import express from 'express';
import Fastify from 'fastify';
import {
  clientPost,
  cliCreateAdmin,
  freePort,
  loginAdmin,
  startGatehouse,
  type TestGatehouse,
} from './support/gatehouse';

type Adapter = 'node' | 'express' | 'fastify' | 'nest';
const ADAPTERS: Adapter[] = ['node', 'express', 'fastify', 'nest'];

interface Running {
  resource: ProtectedResource;
  base: string;
  close: () => Promise<void>;
}

/**
 * `@gatehouse/verifier`'s resource-server helpers (docs/resources.md#the-resource-server) with
 * real Gatehouse tokens, behind each adapter: plain node:http, Express, Fastify and Nest (on
 * Fastify). Each serves `GET /api/notes` (notes:read) and `POST /api/notes` (notes:write too)
 * for its own registered resource.
 */
describe('protected resources: RFC 9728 metadata, challenges and exact audiences, per adapter', () => {
  let gh: TestGatehouse;
  let admin: string;
  let app: { client_id: string; client_secret: string };
  const servers = new Map<Adapter, Running>();

  const token = async (params: Record<string, string>) => {
    const r = await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials', ...params });
    const body = (await r.json()) as { access_token: string };
    expect(r.status).toBe(200);
    return body.access_token;
  };

  const start = async (kind: Adapter, port: number): Promise<Running> => {
    const identifier = `http://127.0.0.1:${port}/api`;
    const resource = createProtectedResource({
      resource: identifier,
      issuer: gh.url,
      scopesSupported: ['notes:read', 'notes:write'],
      resourceName: `notes (${kind})`,
    });
    await resource.verifier.ready();
    const base = `http://127.0.0.1:${port}`;
    const reply = (principal: { sub: string; tier: string }) => ({
      sub: principal.sub,
      tier: principal.tier,
      adapter: kind,
    });
    if (kind === 'node') {
      const server = createServer(async (req, res) => {
        const scopes = req.method === 'POST' ? ['notes:read', 'notes:write'] : ['notes:read'];
        const auth = await protectNodeRequest(resource, req, res, { scopes });
        if (auth) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply(auth.principal)));
      });
      await listen(server, port);
      return { resource, base, close: () => close(server) };
    }
    if (kind === 'express') {
      const e = express();
      e.use(expressProtectedResource(resource, { scopes: ['notes:read'] }));
      e.get('/api/notes', (req, res) => void res.json(reply(authenticatedRequest(req)!.principal)));
      e.post(
        '/api/notes',
        expressProtectedResource(resource, { scopes: ['notes:read', 'notes:write'] }),
        (req, res) => void res.json(reply(authenticatedRequest(req)!.principal)),
      );
      const server = createServer(e);
      await listen(server, port);
      return { resource, base, close: () => close(server) };
    }
    if (kind === 'fastify') {
      const f = Fastify();
      fastifyProtectedResourceMetadata(f, resource);
      f.get('/api/notes', { preHandler: fastifyProtectedResource(resource, { scopes: ['notes:read'] }) }, async (req) =>
        reply(authenticatedRequest(req)!.principal),
      );
      f.post(
        '/api/notes',
        { preHandler: fastifyProtectedResource(resource, { scopes: ['notes:read', 'notes:write'] }) },
        async (req) => reply(authenticatedRequest(req)!.principal),
      );
      await f.listen({ port, host: '127.0.0.1' });
      return { resource, base, close: () => f.close() };
    }
    @Controller('api/notes')
    @UseGuards(protectedResourceGuard(resource, { scopes: ['notes:read'] }))
    class NotesController {
      @Get() list(@Req() req: object) {
        return reply(authenticatedRequest(req)!.principal);
      }
      @Post() @HttpCode(200) @RequireScopes('notes:write') create(@Req() req: object) {
        return reply(authenticatedRequest(req)!.principal);
      }
    }
    @Module({ controllers: [protectedResourceMetadataController(resource), NotesController] })
    class NotesModule {}
    const nest = await NestFactory.create<NestFastifyApplication>(NotesModule, new FastifyAdapter(), { logger: false });
    await nest.listen({ port, host: '127.0.0.1' });
    return { resource, base, close: () => nest.close() };
  };

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    const ports = await Promise.all(ADAPTERS.map(() => freePort()));
    const identifiers = ports.map((p) => `http://127.0.0.1:${p}/api`);
    for (const identifier of identifiers) {
      const r = await gh.api('POST', `/v1/orgs/${org.id}/resources`, {
        token: admin,
        body: { identifier, name: identifier, scopes: [{ name: 'notes:read' }, { name: 'notes:write' }] },
      });
      expect(r.status).toBe(201);
    }
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { name: 'agent', scopes: ['notes:read', 'notes:write'], audiences: identifiers },
      })
    ).body;
    for (const [i, kind] of ADAPTERS.entries()) servers.set(kind, await start(kind, ports[i]));
  });
  afterAll(async () => {
    for (const s of servers.values()) {
      s.resource.close();
      await s.close();
    }
    await gh?.close();
  });

  describe.each(ADAPTERS)('%s', (kind) => {
    const s = () => servers.get(kind)!;
    const notes = (authorization?: string, method = 'GET') =>
      fetch(`${s().base}/api/notes`, { method, headers: authorization ? { authorization } : {} });

    it('serves the RFC 9728 metadata at the path-aware and root well-known URLs', async () => {
      for (const path of ['/.well-known/oauth-protected-resource/api', '/.well-known/oauth-protected-resource']) {
        const r = await fetch(`${s().base}${path}`);
        expect(r.status).toBe(200);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
        expect(await r.json()).toEqual({
          resource: `${s().base}/api`,
          authorization_servers: [gh.url],
          scopes_supported: ['notes:read', 'notes:write'],
          bearer_methods_supported: ['header'],
          resource_name: `notes (${kind})`,
        });
      }
    });

    it('401 without a token: the metadata URL and the scope needed, no error', async () => {
      const r = await notes();
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe(
        `Bearer scope="notes:read", resource_metadata="${s().base}/.well-known/oauth-protected-resource/api"`,
      );
    });

    it('401 invalid_token for a token of another resource, or of Gatehouse’s default audience', async () => {
      const otherKind = ADAPTERS.find((k) => k !== kind)!;
      const forOther = await token({ resource: `${servers.get(otherKind)!.base}/api` });
      const plain = await token({});
      for (const t of [forOther, plain]) {
        const r = await notes(`Bearer ${t}`);
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", .*resource_metadata="/);
        expect(((await r.json()) as { error: string }).error).toBe('invalid_token');
      }
    });

    it('lets a token for this resource through, and answers 403 naming every scope a wider route needs', async () => {
      const readOnly = await token({ resource: `${s().base}/api`, scope: 'notes:read' });
      const ok = await notes(`Bearer ${readOnly}`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ sub: app.client_id, tier: 'app', adapter: kind });
      const forbidden = await notes(`Bearer ${readOnly}`, 'POST');
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get('www-authenticate')).toBe(
        `Bearer error="insufficient_scope", error_description="This operation needs the scope notes:write.", ` +
          `scope="notes:read notes:write", resource_metadata="${s().base}/.well-known/oauth-protected-resource/api"`,
      );
      expect(await forbidden.json()).toEqual({
        error: 'insufficient_scope',
        error_description: 'This operation needs the scope notes:write.',
      });
      const wider = await token({ resource: `${s().base}/api` });
      expect((await notes(`Bearer ${wider}`, 'POST')).status).toBe(200);
    });

    it('a malformed Authorization header is 400 invalid_request with the challenge', async () => {
      const r = await notes('Bearer a b');
      expect(r.status).toBe(400);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_request"/);
    });
  });
});

function listen(server: Server, port: number): Promise<void> {
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r()));
}
function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}
