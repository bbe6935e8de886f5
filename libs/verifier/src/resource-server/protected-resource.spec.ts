import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VerifierError } from '../errors';
import {
  authenticatedRequest,
  bearerChallenge,
  createProtectedResource,
  protectNodeRequest,
  protectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
  type ProtectedOutcome,
  type ProtectedResource,
} from './index';

const ISSUER = 'https://id.example.test';
const RESOURCE = 'https://mcp.example.test/mcp';
const KID = 'key_1';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Discovery and the JWKS, answered in memory. */
const fetchStub = async (url: string) => {
  const json = (body: unknown) =>
    new Response(JSON.stringify(body), {
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' },
    });
  if (url === `${ISSUER}/.well-known/oauth-authorization-server`) {
    return json({ issuer: ISSUER, jwks_uri: `${ISSUER}/jwks`, token_endpoint: `${ISSUER}/oauth/token` });
  }
  if (url === `${ISSUER}/jwks`)
    return json({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, use: 'sig' }] });
  return new Response('{}', { status: 404 });
};

const token = (claims: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: KID })}.${b64({
    iss: ISSUER,
    sub: 'usr_1',
    aud: RESOURCE,
    exp: now + 300,
    iat: now,
    jti: `jti_${Math.random()}`,
    scope: 'notes:read',
    tier: 'user',
    client_id: 'app_1',
    org: 'acme',
    org_id: 'org_1',
    ...claims,
  })}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
};

const respond = (o: ProtectedOutcome) => {
  if (o.kind !== 'respond') throw new Error(`expected an answer, got ${o.kind}`);
  return {
    status: o.status,
    headers: o.headers,
    body: o.body ? (JSON.parse(o.body) as Record<string, unknown>) : null,
  };
};

describe('RFC 9728 metadata (docs/resources.md#the-resource-server)', () => {
  it('builds the document with the header as the only bearer method', () => {
    expect(
      protectedResourceMetadata({
        resource: RESOURCE,
        authorizationServers: [ISSUER],
        scopesSupported: ['notes:read', 'notes:write'],
        resourceName: 'Notes',
        resourceDocumentation: 'https://docs.example.test/notes',
      }),
    ).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      scopes_supported: ['notes:read', 'notes:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'Notes',
      resource_documentation: 'https://docs.example.test/notes',
    });
    expect(() => protectedResourceMetadata({ resource: 'urn:x', authorizationServers: [ISSUER] })).toThrow(TypeError);
    expect(() => protectedResourceMetadata({ resource: `${RESOURCE}#x`, authorizationServers: [ISSUER] })).toThrow(
      TypeError,
    );
    expect(() => protectedResourceMetadata({ resource: RESOURCE, authorizationServers: [] })).toThrow(TypeError);
  });

  it('puts the well-known suffix between the host and the path (§3.1), with the root as fallback', () => {
    expect(protectedResourceMetadataUrl(RESOURCE)).toBe(
      'https://mcp.example.test/.well-known/oauth-protected-resource/mcp',
    );
    expect(protectedResourceMetadataUrl('https://api.example.test')).toBe(
      'https://api.example.test/.well-known/oauth-protected-resource',
    );
    expect(protectedResourceMetadataUrl('http://127.0.0.1:8080/a/b?t=1')).toBe(
      'http://127.0.0.1:8080/.well-known/oauth-protected-resource/a/b?t=1',
    );
    expect(protectedResourceMetadataPaths(RESOURCE)).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataPaths(`${RESOURCE}/`, false)).toEqual([
      '/.well-known/oauth-protected-resource/mcp/',
      '/.well-known/oauth-protected-resource/mcp',
    ]);
    expect(protectedResourceMetadataPaths('https://api.example.test/')).toEqual([
      '/.well-known/oauth-protected-resource',
    ]);
  });

  it('writes challenges with the metadata URL, the scopes, and an error only when a token was sent', () => {
    const url = protectedResourceMetadataUrl(RESOURCE);
    expect(bearerChallenge({ resourceMetadata: url, scopes: ['notes:read'] })).toBe(
      `Bearer scope="notes:read", resource_metadata="${url}"`,
    );
    expect(
      bearerChallenge({
        resourceMetadata: url,
        scopes: ['a', 'b'],
        error: 'insufficient_scope',
        errorDescription: 'needs "b"\\',
        realm: 'notes',
      }),
    ).toBe(
      `Bearer realm="notes", error="insufficient_scope", error_description="needs b", scope="a b", resource_metadata="${url}"`,
    );
    expect(bearerChallenge({ resourceMetadata: url })).toBe(`Bearer resource_metadata="${url}"`);
  });
});

describe('ProtectedResource', () => {
  let notes: ProtectedResource;
  const metadataUrl = 'https://mcp.example.test/.well-known/oauth-protected-resource/mcp';
  const call = (authorization?: string, scopes: string[] = ['notes:read'], url = '/mcp', method = 'POST') =>
    notes.handle({ method, url, authorization }, scopes);

  beforeAll(async () => {
    notes = createProtectedResource({
      resource: RESOURCE,
      issuer: ISSUER,
      scopesSupported: ['notes:read', 'notes:write'],
      resourceName: 'Notes',
      verifierOptions: { fetch: fetchStub },
    });
    await notes.verifier.ready();
  });
  afterAll(() => notes.close());

  it('serves its metadata on the path-aware and root paths, readable from any origin', async () => {
    for (const url of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource?x=1']) {
      const r = respond(await call(undefined, [], url, 'GET'));
      expect(r.status).toBe(200);
      expect(r.headers).toMatchObject({
        'Content-Type': 'application/json',
        'Access-Control-Allow-Origin': '*',
        'Cache-Control': 'public, max-age=3600',
      });
      expect(r.body).toEqual({
        resource: RESOURCE,
        authorization_servers: [ISSUER],
        scopes_supported: ['notes:read', 'notes:write'],
        bearer_methods_supported: ['header'],
        resource_name: 'Notes',
      });
    }
    expect(respond(await call(undefined, [], '/.well-known/oauth-protected-resource/mcp', 'OPTIONS')).status).toBe(204);
    const post = respond(await call(undefined, [], '/.well-known/oauth-protected-resource/mcp', 'POST'));
    expect({ status: post.status, allow: post.headers.Allow }).toEqual({ status: 405, allow: 'GET, HEAD, OPTIONS' });
  });

  it('no token: 401 with the metadata URL and the scopes the operation needs, and no error', async () => {
    const r = respond(await call(undefined, ['notes:read']));
    expect(r.status).toBe(401);
    expect(r.headers['WWW-Authenticate']).toBe(`Bearer scope="notes:read", resource_metadata="${metadataUrl}"`);
    expect(r.headers['Cache-Control']).toBe('no-store');
  });

  it('a malformed header is 400 invalid_request; a bad token is 401 invalid_token, both with the challenge', async () => {
    const malformed = respond(await call('Basic abc'));
    expect(malformed.status).toBe(400);
    expect(malformed.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_request", .*resource_metadata=/);
    const forged = token().slice(0, -4) + 'AAAA';
    const bad = respond(await call(`Bearer ${forged}`));
    expect(bad.status).toBe(401);
    expect(bad.headers['WWW-Authenticate']).toBe(
      `Bearer error="invalid_token", error_description="The token signature is invalid.", scope="notes:read", resource_metadata="${metadataUrl}"`,
    );
    expect(bad.body).toEqual({ error: 'invalid_token', error_description: 'The token signature is invalid.' });
  });

  it('requires aud to be this resource exactly: another, a respelling, or an extra audience is refused', async () => {
    for (const aud of [
      'https://other.example.test',
      `${RESOURCE}/`,
      ISSUER,
      [RESOURCE, 'https://other.example.test'],
    ]) {
      const r = respond(await call(`Bearer ${token({ aud })}`));
      expect({ aud, status: r.status, error: r.body?.error }).toEqual({ aud, status: 401, error: 'invalid_token' });
      expect(r.headers['WWW-Authenticate']).toContain('error="invalid_token"');
    }
  });

  it('refuses a DPoP-bound token sent as a bearer token (RFC 9449 §7.1)', async () => {
    const bound = respond(
      await call(`Bearer ${token({ cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' } })}`),
    );
    expect(bound.status).toBe(401);
    expect(bound.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token", .*resource_metadata=/);
    expect(bound.body?.error_description).toMatch(/DPoP-bound/);
  });

  it('403 insufficient_scope names every scope the operation needs', async () => {
    const r = respond(await call(`Bearer ${token()}`, ['notes:read', 'notes:write']));
    expect(r.status).toBe(403);
    expect(r.headers['WWW-Authenticate']).toBe(
      `Bearer error="insufficient_scope", error_description="This operation needs the scope notes:write.", scope="notes:read notes:write", resource_metadata="${metadataUrl}"`,
    );
    expect(r.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'This operation needs the scope notes:write.',
    });
  });

  it('lets a good token through with its principal and the token as sent; authorize checks scopes alone', async () => {
    const t = token({ scope: 'notes:read notes:write' });
    const ok = await call(`Bearer ${t}`, ['notes:read']);
    expect(ok).toMatchObject({ kind: 'allow', token: t, principal: { sub: 'usr_1', aud: [RESOURCE] } });
    if (ok.kind !== 'allow') throw new Error('allowed');
    expect(notes.authorize(ok.principal, ['notes:write']).kind).toBe('allow');
    expect(respond(notes.authorize(ok.principal, ['notes:admin'])).status).toBe(403);
  });

  it('a verifier without keys is 503 with Retry-After and no challenge', async () => {
    const down = createProtectedResource({
      resource: RESOURCE,
      issuer: ISSUER,
      verifierOptions: { fetch: async () => new Response('', { status: 503 }) },
    });
    const r = respond(await down.handle({ method: 'GET', url: '/mcp', authorization: `Bearer ${token()}` }));
    expect({ status: r.status, retry: r.headers['Retry-After'], challenge: r.headers['WWW-Authenticate'] }).toEqual({
      status: 503,
      retry: '5',
      challenge: undefined,
    });
    down.close();
  });

  it('refuse() renders any verifier error with the challenge', () => {
    const r = respond(notes.refuse(new VerifierError('token_expired', 'The token has expired.'), ['a']));
    expect(r.status).toBe(401);
    expect(r.headers['WWW-Authenticate']).toContain(
      'error="invalid_token", error_description="The token has expired.", scope="a"',
    );
  });

  describe('the node:http adapter', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer(async (req, res) => {
        const auth = await protectNodeRequest(notes, req, res, { scopes: ['notes:read'] });
        if (!auth) return;
        // A second check on the same request verifies nothing again: scopes only.
        if (req.url === '/mcp/write' && !(await protectNodeRequest(notes, req, res, { scopes: ['notes:write'] })))
          return;
        res.end(JSON.stringify({ sub: auth.principal.sub, same: authenticatedRequest(req) === auth }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('answers metadata and refusals itself, and hands the principal on', async () => {
      const meta = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
      expect(((await meta.json()) as { resource: string }).resource).toBe(RESOURCE);
      const none = await fetch(`${base}/mcp`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('resource_metadata=');
      const ok = await fetch(`${base}/mcp`, { headers: { authorization: `Bearer ${token()}` } });
      expect(await ok.json()).toEqual({ sub: 'usr_1', same: true });
      const more = await fetch(`${base}/mcp/write`, { headers: { authorization: `Bearer ${token()}` } });
      expect(more.status).toBe(403);
      expect(more.headers.get('www-authenticate')).toContain('scope="notes:write"');
    });
  });
});
