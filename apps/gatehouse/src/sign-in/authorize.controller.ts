import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { FormParams } from '@gatehouse/oauth';
import { AUTHORIZATION_INTERACTION_TTL_S, AuthorizationService } from '@gatehouse/signin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FormBody } from '../http/form-body';
import { Public } from '../http/public.decorator';
import { requestMeta } from '../http/request-meta.decorator';
import { interactionCookie, readCookie, sendRedirect, sessionCookieName } from './browser-http';
import { PageRenderer } from './page-renderer';
import { authorizationRequests } from '../metrics/metrics';
import { sendErrorPage } from './page-errors';

/**
 * `GET|POST /oauth/authorize` (RFC 6749 §3.1; docs/sign-in.md#the-authorization-endpoint): the
 * query (GET) or form (POST) goes to AuthorizationService; errors before the redirect URI is
 * trusted are an error page with the request id, the rest go back to the client with `iss`.
 * No CORS (no Access-Control-* header is ever sent), `303` for every redirect, never cached,
 * never framed.
 */
@ApiTags('oauth')
@Public()
@Controller('oauth')
export class AuthorizeController {
  constructor(
    private readonly authorization: AuthorizationService,
    private readonly pages: PageRenderer,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  @Get('authorize')
  @ApiExcludeEndpoint()
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    return this.handle(req, reply, FormParams.from(new URLSearchParams(query)));
  }

  @Post('authorize')
  @ApiExcludeEndpoint()
  post(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const body = req.body;
    return this.handle(req, reply, body instanceof FormBody ? body.params : FormParams.from([]));
  }

  private async handle(req: FastifyRequest, reply: FastifyReply, params: FormParams): Promise<void> {
    try {
      const cookie = readCookie(req, sessionCookieName(this.config.issuer));
      const outcome = await this.authorization.authorize(requestMeta(req), params, cookie);
      authorizationRequests.inc({
        outcome:
          outcome.kind === 'interaction'
            ? 'sign_in'
            : outcome.kind === 'respond'
              ? 'code' in outcome.params
                ? 'code'
                : 'error_redirect'
              : outcome.kind === 'error-page'
                ? 'error_page'
                : 'stopped',
      });
      switch (outcome.kind) {
        case 'error-page':
          return this.pages.error(req, reply, 400, outcome.error, outcome.description, uiLocales(params));
        case 'respond':
          return this.pages.respond(req, reply, outcome);
        case 'stopped':
          return this.pages.stopped(req, reply, outcome, uiLocales(params));
        case 'interaction':
          void reply.header(
            'set-cookie',
            interactionCookie(this.config.issuer, outcome.handle, AUTHORIZATION_INTERACTION_TTL_S),
          );
          return sendRedirect(reply, '/sign-in');
      }
    } catch (err) {
      sendErrorPage(req, reply, err);
    }
  }
}

/** OIDC Core §3.1.2.1 `ui_locales`, for the pages this endpoint shows itself. */
function uiLocales(params: FormParams): string[] {
  return (params.get('ui_locales') ?? '').split(' ').filter(Boolean);
}
