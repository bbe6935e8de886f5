import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { JWKS_MAX_AGE_S, SigningKeyService } from '@gatehouse/keys';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/public.decorator';

@ApiTags('keys')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeyService) {}

  /** Public signing keys, from memory; ETag + max-age so verifiers cache it. */
  @Get('jwks.json')
  jwks(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    const doc = this.keys.jwksDocument();
    void reply
      .header('cache-control', `public, max-age=${JWKS_MAX_AGE_S}`)
      .header('etag', doc.etag)
      .header('content-type', 'application/jwk-set+json');
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === doc.etag)) {
      void reply.status(304).send();
      return;
    }
    void reply.status(200).send(doc.body);
  }
}
