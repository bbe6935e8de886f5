import { JWKS_MAX_AGE_S } from '@gatehouse/core';
import type { SigningKeyService } from '@gatehouse/keys';
import type { FastifyInstance } from 'fastify';

/**
 * GET /.well-known/jwks.json as a plain Fastify route: every downstream verifier polls it,
 * so it skips Nest's router, guards and per-request info logs (measured: ~10k req/s on one
 * worker through Nest). Served from memory; the ETag is a hash of the key set, so it changes
 * with every rotation, revocation or expiry; max-age is the cache lifetime the key
 * publish-ahead and overlap are computed from (libs/core/src/config.ts).
 */
export function registerJwksRoute(fastify: FastifyInstance, keys: SigningKeyService): void {
  fastify.get('/.well-known/jwks.json', { logLevel: 'warn' }, (req, reply) => {
    const doc = keys.jwksDocument();
    void reply
      .header('cache-control', `public, max-age=${JWKS_MAX_AGE_S}`)
      .header('etag', doc.etag)
      .header('content-type', 'application/jwk-set+json');
    const ifNoneMatch = req.headers['if-none-match'];
    if (typeof ifNoneMatch === 'string' && matches(ifNoneMatch, doc.etag)) return reply.status(304).send();
    return reply.status(200).send(doc.body);
  });
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and `*` matches any. */
function matches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === etag);
}
