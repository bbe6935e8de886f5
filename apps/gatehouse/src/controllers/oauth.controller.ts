import { Controller, Headers, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { OAuthError } from '@gatehouse/core';
import { TokenEndpoint } from '@gatehouse/oauth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FormBody } from '../http/form-body';
import { OAuthErrorFilter } from '../http/oauth-error.filter';
import { Public } from '../http/public.decorator';
import { requestId } from '../http/request-meta.decorator';

@ApiTags('oauth')
@Public()
@UseFilters(OAuthErrorFilter)
@Controller('oauth')
export class OAuthController {
  constructor(private readonly tokens: TokenEndpoint) {}

  /** RFC 6749 §3.2 token endpoint; the grant is chosen by grant_type in libs/oauth. */
  @Post('token')
  @HttpCode(200)
  async token(
    @Req() req: FastifyRequest,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const body = req.body;
    if (!(body instanceof FormBody)) {
      throw new OAuthError('invalid_request', 400, 'Send the request as application/x-www-form-urlencoded.');
    }
    if (body.repeated)
      throw new OAuthError('invalid_request', 400, `Parameter "${body.repeated}" appears more than once.`);
    const responseHeaders: Record<string, string> = {};
    // Set before handling so refusals (applied by the filter) carry them too.
    (reply as unknown as { gatehouseHeaders?: Record<string, string> }).gatehouseHeaders = responseHeaders;
    const response = await this.tokens.handle({
      responseHeaders,
      params: body.params,
      authorization,
      meta: { requestId: requestId(req), sourceIp: req.ip ?? null },
    });
    for (const [k, v] of Object.entries(responseHeaders)) void reply.header(k, v);
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return response;
  }
}
