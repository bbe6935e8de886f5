import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { SigningKeyService } from '@gatehouse/keys';
import { ClientAuthenticator, FormParams } from '@gatehouse/oauth';
import { BrowserSessions } from '@gatehouse/signin';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FormBody } from '../http/form-body';
import { Public } from '../http/public.decorator';
import { requestMeta } from '../http/request-meta.decorator';
import { DEFAULT_BRANDING } from './branding';
import { readCookie, sendPage, sendRedirect, sessionCookie, sessionCookieName } from './browser-http';
import { sendErrorPage } from './page-errors';
import { PageRenderer } from './page-renderer';
import { signInPages } from '../metrics/metrics';
import { signedOutPage } from './pages/pages';

/**
 * OpenID Connect RP-Initiated Logout 1.0 (docs/sign-in.md#logout), `GET|POST /oauth/logout`:
 * `id_token_hint` (an ID token Gatehouse signed, expired or not), `client_id`,
 * `post_logout_redirect_uri` (compared exactly with the client's registered ones; a URI
 * without a client that registered it is the error page) and `state`. The browser session is
 * ended and its cookie cleared; then 303 to the client, or the signed-out page.
 */
@Public()
@Controller('oauth')
export class LogoutController {
  constructor(
    private readonly sessions: BrowserSessions,
    private readonly clients: ClientAuthenticator,
    private readonly keys: SigningKeyService,
    private readonly pages: PageRenderer,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  @Get('logout')
  @ApiExcludeEndpoint()
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    return this.handle(req, reply, FormParams.from(new URLSearchParams(query)));
  }

  @Post('logout')
  @ApiExcludeEndpoint()
  post(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.handle(req, reply, req.body instanceof FormBody ? req.body.params : FormParams.from([]));
  }

  private async handle(req: FastifyRequest, reply: FastifyReply, params: FormParams): Promise<void> {
    try {
      const repeated = params.firstRepeated();
      if (repeated)
        return this.pages.error(req, reply, 400, 'invalid_request', `Parameter "${repeated}" appears more than once.`);
      const hint = params.get('id_token_hint');
      let hinted: { clientId: string; sid: string | null } | null = null;
      if (hint) {
        hinted = await this.verifyHint(hint);
        if (!hinted) return this.pages.error(req, reply, 400, 'invalid_request', 'The id_token_hint is not valid.');
      }
      const clientId = params.get('client_id') ?? hinted?.clientId;
      if (hinted && clientId !== hinted.clientId) {
        return this.pages.error(req, reply, 400, 'invalid_request', 'client_id and id_token_hint disagree.');
      }
      const target = params.get('post_logout_redirect_uri');
      if (target) {
        const client = await this.clients.lookup(clientId);
        if (!client || !client.signIn.postLogoutRedirectUris.includes(target)) {
          return this.pages.error(req, reply, 400, 'invalid_redirect_uri');
        }
      }
      const cookieName = sessionCookieName(this.config.issuer);
      const session = await this.sessions.find(readCookie(req, cookieName));
      if (session) await this.sessions.end(requestMeta(req), session.id, 'logout', clientId ?? null);
      signInPages.inc({ result: session ? 'logout' : 'logout_no_session' });
      void reply.header('set-cookie', sessionCookie(this.config.issuer, '', 0));
      if (target) {
        const url = new URL(target);
        const state = params.get('state');
        if (state) url.searchParams.append('state', state);
        return sendRedirect(reply, url.toString());
      }
      sendPage(reply, 200, signedOutPage(await this.pages.text(req), DEFAULT_BRANDING));
    } catch (err) {
      sendErrorPage(req, reply, err);
    }
  }

  /** An ID token this issuer signed (its `exp` may have passed: RP-Initiated Logout §2). */
  private async verifyHint(token: string): Promise<{ clientId: string; sid: string | null } | null> {
    try {
      const jwks = createLocalJWKSet(JSON.parse(this.keys.jwksDocument().body) as { keys: [] });
      const exp = decodeJwt(token).exp;
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: this.config.issuer,
        algorithms: ['RS256'],
        currentDate: exp ? new Date((exp - 1) * 1000) : undefined,
      });
      if (protectedHeader.typ !== 'JWT' || typeof payload.aud !== 'string') return null;
      return { clientId: payload.aud, sid: typeof payload.sid === 'string' ? payload.sid : null };
    } catch {
      return null;
    }
  }
}
