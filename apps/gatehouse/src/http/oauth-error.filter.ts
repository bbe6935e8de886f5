import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import {
  AccessDenied,
  AccessStoppedError,
  InvalidRequest,
  OAuthError,
  ProblemError,
  RequestTooLarge,
  ServerError,
  TemporarilyUnavailable,
} from '@gatehouse/core';
import { isDatabaseUnavailable, isDataError } from '@gatehouse/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { outageLog, statusOf } from './problem';
import { collectedHeaders } from './protocol-request';

const log = new Logger('OAuthErrors');

/**
 * Protocol endpoints answer RFC 6749 §5.2 bodies `{error, error_description}`, not
 * problem+json: two surfaces, two filters (docs/architecture.md#a-request-end-to-end). Anything unexpected is a bare
 * `server_error`; an unreachable database is `temporarily_unavailable` with Retry-After.
 */
@Catch()
export class OAuthErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    sendOAuthError(
      host.switchToHttp().getRequest<FastifyRequest>(),
      host.switchToHttp().getResponse<FastifyReply>(),
      err,
    );
  }
}

/** The RFC 6749 §5.2 answer for `err`; also the error handler of the plain /oauth/token route. */
export function sendOAuthError(req: FastifyRequest, reply: FastifyReply, err: unknown): void {
  const e = toOAuthError(err);
  if (e.status === 503 && isDatabaseUnavailable(err)) {
    outageLog.report('database_unavailable', err, 'PostgreSQL unreachable: answering 503', { request_id: req.id });
  } else if (e.status >= 500) log.error({ err, request_id: req.id, detail: e.detail }, 'protocol endpoint failed');
  else if (e.detail) log.debug({ request_id: req.id, error: e.error, detail: e.detail }, 'protocol request refused');
  for (const [k, v] of Object.entries({ ...collectedHeaders(reply), ...e.headers })) void reply.header(k, v);
  void reply
    .status(e.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .header('content-type', 'application/json; charset=utf-8')
    .send(
      JSON.stringify({
        error: e.error,
        ...(e.description ? { error_description: e.description } : {}),
        ...(e.extra ?? {}),
      }),
    );
}

function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  if (err instanceof AccessStoppedError) {
    // docs/control.md: 403 access_denied, with the reason, its recovery and the decision id.
    return new AccessDenied(err.decision.message, { extra: err.members });
  }
  if (isDatabaseUnavailable(err)) {
    return new TemporarilyUnavailable('Try again shortly.', { headers: { 'Retry-After': '5' } });
  }
  if (isDataError(err)) return new InvalidRequest('A parameter holds characters that are not allowed.');
  const status = statusOf(err);
  if (err instanceof ProblemError && status === 503) {
    return new TemporarilyUnavailable('Try again shortly.', { headers: err.headers, detail: err.detail });
  }
  if (status === 415) return new InvalidRequest('Send the request as application/x-www-form-urlencoded.');
  if (status === 413) return new RequestTooLarge('The request body is too large.');
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new InvalidRequest('The request is malformed.');
  return new ServerError(undefined, { detail: (err as Error)?.message });
}
