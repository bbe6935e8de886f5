import { Controller, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IntrospectionEndpoint, RevocationEndpoint, type TokenRequest } from '@gatehouse/oauth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthErrorFilter } from '../http/oauth-error.filter';
import { protocolRequest, setProtocolHeaders } from '../http/protocol-request';
import { Public } from '../http/public.decorator';

/**
 * The protocol endpoints: form-encoded requests, RFC 6749 §5.2 errors, never cached.
 * /oauth/token itself is a plain Fastify route (http/token.route.ts) with the same request
 * handling, because it is the hot path.
 */
@ApiTags('oauth')
@Public()
@UseFilters(OAuthErrorFilter)
@Controller('oauth')
export class OAuthController {
  constructor(
    private readonly revocation: RevocationEndpoint,
    private readonly introspection: IntrospectionEndpoint,
  ) {}

  /** RFC 7009: 200 with an empty body whether or not the token was known. */
  @Post('revoke')
  @HttpCode(200)
  async revoke(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.respond(req, reply, (r) => this.revocation.revoke(r));
    return '';
  }

  /** RFC 7662, for authenticated clients; tokens of other orgs are inactive. */
  @Post('introspect')
  @HttpCode(200)
  introspect(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.respond(req, reply, (r) => this.introspection.introspect(r));
  }

  private async respond<T>(
    req: FastifyRequest,
    reply: FastifyReply,
    handle: (r: TokenRequest) => Promise<T>,
  ): Promise<T> {
    const request = protocolRequest(req, reply);
    const result = await handle(request);
    setProtocolHeaders(reply, request.responseHeaders);
    return result;
  }
}
