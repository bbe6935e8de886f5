import type { IncomingMessage } from 'node:http';
import { JWKS_MAX_AGE_S } from '@gatehouse/core';
import type { JwksDocument, SigningKeyService } from '@gatehouse/keys';
import type { FastifyInstance } from 'fastify';
import type { FastRoutes } from './fast-routes';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * GET /.well-known/jwks.json: every downstream verifier polls it, so it is answered by
 * node:http before Fastify (FastRoutes), and by a plain Fastify route — no Nest router,
 * guards or per-request info logs — for what the fast path passes on (a closing server,
 * an encoded variant of the path). Both give the same answer, from memory: the ETag is a
 * hash of the key set, so it changes with every rotation, revocation or expiry; max-age is
 * the cache lifetime the key publish-ahead and overlap are computed from
 * (libs/core/src/config.ts). Every response carries an X-Request-Id like the rest of the API.
 */
export function registerJwksRoute(
  fastify: FastifyInstance,
  fast: FastRoutes,
  keys: SigningKeyService,
  newRequestId: (req: IncomingMessage) => string,
): void {
  const jwks = jwksResponder(keys);
  fastify.get(JWKS_PATH, { logLevel: 'warn' }, (req, reply) => {
    const { status, headers, body } = jwks(req.headers['if-none-match']);
    return reply.status(status).headers(headers).send(body);
  });
  fast.get(JWKS_PATH, (req, res) => {
    const { status, headers, body } = jwks(req.headers['if-none-match']);
    const length: Record<string, number> = body ? { 'content-length': body.length } : {};
    res.writeHead(status, { ...headers, ...length, 'x-request-id': newRequestId(req) });
    res.end(req.method === 'HEAD' ? undefined : body); // HEAD: the GET's headers, no body
  });
}

interface JwksResponse {
  status: 200 | 304;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

/** The answer to a JWKS request; body bytes and headers are built once per key-set change. */
function jwksResponder(keys: SigningKeyService): (ifNoneMatch: string | string[] | undefined) => JwksResponse {
  let doc: JwksDocument | null = null;
  let ok: JwksResponse = { status: 200, headers: {}, body: undefined };
  let notModified: JwksResponse = ok;
  return (ifNoneMatch) => {
    const current = keys.jwksDocument();
    if (current !== doc) {
      doc = current;
      const headers = {
        'cache-control': `public, max-age=${JWKS_MAX_AGE_S}`,
        etag: current.etag,
        'content-type': 'application/jwk-set+json',
      };
      ok = { status: 200, headers, body: Buffer.from(current.body) };
      notModified = { status: 304, headers, body: undefined };
    }
    return typeof ifNoneMatch === 'string' && matches(ifNoneMatch, current.etag) ? notModified : ok;
  };
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and `*` matches any. */
function matches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === etag);
}
