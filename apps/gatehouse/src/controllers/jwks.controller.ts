import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { JWKS_MAX_AGE_S } from '@gatehouse/core';
import { SigningKeyService } from '@gatehouse/keys';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/public.decorator';

@ApiTags('keys')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeyService) {}

  /**
   * Public signing keys, from memory (no database query per request). The ETag is a hash
   * of the key set, so it changes with every rotation, revocation or expiry; max-age is
   * the cache lifetime the key publish-ahead and overlap are computed from (config.ts).
   */
  @Get('jwks.json')
  jwks(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    const doc = this.keys.jwksDocument();
    void reply
      .header('cache-control', `public, max-age=${JWKS_MAX_AGE_S}`)
      .header('etag', doc.etag)
      .header('content-type', 'application/jwk-set+json');
    if (ifNoneMatch && matches(ifNoneMatch, doc.etag)) {
      void reply.status(304).send();
      return;
    }
    void reply.status(200).send(doc.body);
  }
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and `*` matches any. */
function matches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === etag);
}
