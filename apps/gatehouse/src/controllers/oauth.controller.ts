import { Controller, Headers, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { OAuthError } from '@gatehouse/core';
import { IntrospectionService } from '@gatehouse/directory';
import { ClientAuthenticator, RevocationEndpoint, TokenEndpoint, type TokenRequest } from '@gatehouse/oauth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FormBody } from '../http/form-body';
import { OAuthErrorFilter } from '../http/oauth-error.filter';
import { Public } from '../http/public.decorator';
import { requestId } from '../http/request-meta.decorator';

/** The protocol endpoints: form-encoded requests, RFC 6749 §5.2 errors, never cached. */
@ApiTags('oauth')
@Public()
@UseFilters(OAuthErrorFilter)
@Controller('oauth')
export class OAuthController {
  constructor(
    private readonly tokens: TokenEndpoint,
    private readonly revocation: RevocationEndpoint,
    private readonly clients: ClientAuthenticator,
    private readonly introspection: IntrospectionService,
  ) {}

  /** RFC 6749 §3.2 token endpoint; the grant is chosen by grant_type in libs/oauth. */
  @Post('token')
  @HttpCode(200)
  token(
    @Req() req: FastifyRequest,
    @Headers('authorization') auth: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.respond(req, auth, reply, (r) => this.tokens.handle(r));
  }

  /** RFC 7009: 200 with an empty body whether or not the token was known. */
  @Post('revoke')
  @HttpCode(200)
  async revoke(
    @Req() req: FastifyRequest,
    @Headers('authorization') auth: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.respond(req, auth, reply, (r) => this.revocation.revoke(r));
    return '';
  }

  /** RFC 7662, for authenticated clients; tokens of other orgs are inactive. */
  @Post('introspect')
  @HttpCode(200)
  introspect(
    @Req() req: FastifyRequest,
    @Headers('authorization') auth: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.respond(req, auth, reply, async (r) => {
      const client = await this.clients.authenticate(r);
      const token = r.params.get('token');
      if (!token) throw new OAuthError('invalid_request', 400, 'token is required.');
      return this.introspection.introspect(r.meta, client, token);
    });
  }

  private async respond<T>(
    req: FastifyRequest,
    authorization: string | undefined,
    reply: FastifyReply,
    handle: (r: TokenRequest) => Promise<T>,
  ): Promise<T> {
    const body = req.body;
    if (!(body instanceof FormBody)) {
      throw new OAuthError('invalid_request', 400, 'Send the request as application/x-www-form-urlencoded.');
    }
    if (body.repeated)
      throw new OAuthError('invalid_request', 400, `Parameter "${body.repeated}" appears more than once.`);
    const responseHeaders: Record<string, string> = {};
    // Set before handling so refusals (applied by the filter) carry them too.
    (reply as unknown as { gatehouseHeaders?: Record<string, string> }).gatehouseHeaders = responseHeaders;
    const result = await handle({
      responseHeaders,
      params: body.params,
      authorization,
      meta: { requestId: requestId(req), sourceIp: req.ip ?? null },
    });
    for (const [k, v] of Object.entries(responseHeaders)) void reply.header(k, v);
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return result;
  }
}
