import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendOAuthError } from './oauth-error.filter';
import { sendProblem } from './problem';
import { isBrowserRoute, sendErrorPage } from '../sign-in/page-errors';

/**
 * Management-API errors as application/problem+json (RFC 9457). What fails before a
 * protocol route's own filter runs — an unreadable, oversized or non-form body on
 * /oauth/revoke or /oauth/introspect — is still that surface's: an RFC 6749 §5.2 body
 * (RFC 7009 §2.2.1, RFC 7662 §2.3).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    // A browser is never shown JSON (docs/sign-in.md#errors).
    if (isBrowserRoute(req.url)) sendErrorPage(req, http.getResponse<FastifyReply>(), err);
    // UserInfo is a bearer route (RFC 6750): its refusals keep their status and WWW-Authenticate.
    else if (req.url.startsWith('/oauth/') && !req.url.startsWith('/oauth/userinfo'))
      sendOAuthError(req, http.getResponse<FastifyReply>(), err);
    else sendProblem(req, http.getResponse<FastifyReply>(), err);
  }
}
