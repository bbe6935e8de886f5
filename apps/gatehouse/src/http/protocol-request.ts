import { InvalidRequest } from '@gatehouse/core';
import type { TokenRequest } from '@gatehouse/oauth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FormBody } from './form-body';
import { requestId } from './request-meta.decorator';

type WithHeaders = FastifyReply & { gatehouseHeaders?: Record<string, string> };

/**
 * The protocol endpoints' request (/oauth/token, /oauth/revoke, /oauth/introspect): one
 * form-encoded body (RFC 6749 §3.2). `singleValued` (revocation, introspection) refuses any
 * parameter sent twice (§3.1); the token endpoint applies each grant's own rules instead.
 */
export function protocolRequest(req: FastifyRequest, reply: FastifyReply, singleValued = true): TokenRequest {
  const body = req.body;
  if (!(body instanceof FormBody)) {
    throw new InvalidRequest('Send the request as application/x-www-form-urlencoded.');
  }
  const repeated = singleValued ? body.params.firstRepeated() : null;
  if (repeated) throw new InvalidRequest(`Parameter "${repeated}" appears more than once.`);
  const responseHeaders: Record<string, string> = {};
  // Kept on the reply so that refusals (sendOAuthError) carry them too.
  (reply as WithHeaders).gatehouseHeaders = responseHeaders;
  return {
    responseHeaders,
    params: body.params,
    authorization: req.headers.authorization,
    dpop: req.headers.dpop,
    endpoint: req.routeOptions?.url ?? req.url.split('?')[0],
    meta: { requestId: requestId(req), sourceIp: req.ip ?? null },
  };
}

/** Headers the handler collected (RateLimit fields), and never cached (RFC 6749 §5.1). */
export function setProtocolHeaders(reply: FastifyReply, headers: Record<string, string>): void {
  void reply.headers(headers).header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** The headers a refused request still carries (set by protocolRequest). */
export function collectedHeaders(reply: FastifyReply): Record<string, string> {
  return (reply as WithHeaders).gatehouseHeaders ?? {};
}
