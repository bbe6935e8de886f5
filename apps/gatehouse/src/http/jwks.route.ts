import { JWKS_MAX_AGE_S } from '@gatehouse/core';
import type { JwksDocument, SigningKeyService } from '@gatehouse/keys';
import type { FastifyInstance } from 'fastify';

/**
 * GET /.well-known/jwks.json as a plain Fastify route: every downstream verifier polls it,
 * so it skips Nest's router, guards and per-request info logs (measured: ~10k req/s on one
 * worker through Nest). Served from memory; the ETag is a hash of the key set, so it changes
 * with every rotation, revocation or expiry; max-age is the cache lifetime the key
 * publish-ahead and overlap are computed from (libs/core/src/config.ts).
 */
export function registerJwksRoute(fastify: FastifyInstance, keys: SigningKeyService): void {
  // The body as bytes and the headers, built once per key-set change rather than per request.
  let doc: JwksDocument | null = null;
  let body = Buffer.alloc(0);
  let headers: Record<string, string> = {};
  fastify.get('/.well-known/jwks.json', { logLevel: 'warn' }, (req, reply) => {
    const current = keys.jwksDocument();
    if (current !== doc) {
      doc = current;
      body = Buffer.from(current.body);
      headers = {
        'cache-control': `public, max-age=${JWKS_MAX_AGE_S}`,
        etag: current.etag,
        'content-type': 'application/jwk-set+json',
      };
    }
    void reply.headers(headers);
    const ifNoneMatch = req.headers['if-none-match'];
    if (typeof ifNoneMatch === 'string' && matches(ifNoneMatch, current.etag)) return reply.status(304).send();
    return reply.status(200).send(body);
  });
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and `*` matches any. */
function matches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === etag);
}
