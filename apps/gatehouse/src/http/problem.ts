import { HttpException, Logger } from '@nestjs/common';
import { AccessStoppedError, FailureLog, ProblemError, Problems, type ProblemCode } from '@gatehouse/core';
import { isDatabaseUnavailable, isDataError, isRecordNotFound } from '@gatehouse/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestId } from './request-meta.decorator';

const log = new Logger('Errors');

/**
 * docs/reliability.md#logs: an outage fails every request the same way; one line per kind
 * (and error code) every 10 s, without a stack, under the request id of the first of them.
 */
export const outageLog = new FailureLog((line, message) => log.error(line, message));

const BY_STATUS: Record<number, [ProblemCode, string]> = {
  400: ['malformed_request', 'Malformed request'],
  401: ['invalid_token', 'Authentication required'],
  403: ['forbidden', 'Forbidden'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  413: ['payload_too_large', 'Payload too large'],
  415: ['unsupported_media_type', 'Unsupported media type'],
  429: ['rate_limited', 'Too many requests'],
};

/**
 * Maps anything thrown while serving a management-API request to an RFC 9457 problem.
 * Known client errors keep their status; anything unexpected becomes a bare 500 whose
 * cause goes to the log only, never to the client.
 */
export function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err instanceof AccessStoppedError) {
    // docs/control.md: the problem's `code` is the reason, with its recovery and decision id.
    const d = err.decision;
    return new ProblemError(
      d.status,
      d.reason as ProblemCode,
      d.outcome === 'review' ? 'Review required' : 'Access stopped',
      {
        detail: d.message,
        extra: err.members,
      },
    );
  }
  if (isDatabaseUnavailable(err)) {
    return Problems.unavailable('The database is unreachable; retry shortly.');
  }
  // docs/reliability.md#inputs: a value PostgreSQL refuses is the request's fault.
  if (isDataError(err)) {
    return Problems.validation([{ path: '', message: 'holds a value that cannot be stored (control characters?)' }]);
  }
  // A row that vanished between a check and the change (a concurrent delete won).
  if (isRecordNotFound(err)) return Problems.notFound();
  const status = statusOf(err);
  if (status && status >= 400 && status < 500) {
    const [code, title] = BY_STATUS[status] ?? ['malformed_request', 'Bad request'];
    return new ProblemError(status, code, title, { detail: clientDetail(err, status) });
  }
  return new ProblemError(500, 'internal_error', 'Internal error', {
    detail: 'An unexpected error occurred; it has been logged with the request id.',
  });
}

/** The HTTP status a framework or domain error carries (Nest's HttpException, Fastify's statusCode). */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ProblemError) return err.status;
  if (err instanceof HttpException) return err.getStatus();
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function clientDetail(err: unknown, status: number): string {
  // Nest maps Fastify's body-parsing errors to HttpExceptions; their status says enough.
  switch (status) {
    case 404:
      return 'No such resource or route.';
    case 405:
      return 'This method is not allowed on this resource.';
    case 413:
      return 'The request body exceeds the size limit.';
    case 415:
      return 'Send the body as application/json.';
  }
  const message = err instanceof Error ? err.message : '';
  if (/JSON/i.test(message))
    return /empty/i.test(message) ? 'The JSON body is empty.' : 'The request body is not valid JSON.';
  // Other framework messages can echo request input; keep the client text generic.
  return 'The request could not be processed.';
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, err: unknown): void {
  const problem = toProblem(err);
  const rid = requestId(req);
  if (problem.status === 503 && isDatabaseUnavailable(err)) {
    outageLog.report('database_unavailable', err, 'PostgreSQL unreachable: answering 503', { request_id: rid });
  } else if (problem.status >= 500) {
    log.error({ err, request_id: rid, internal: problem.internal }, 'request failed');
  } else if (problem.internal) {
    log.warn({ request_id: rid, code: problem.code, internal: problem.internal }, 'request refused');
  }
  for (const [k, v] of Object.entries(problem.headers)) void reply.header(k, v);
  void reply
    .status(problem.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      JSON.stringify({
        type: `urn:gatehouse:problem:${problem.code}`,
        title: problem.title,
        status: problem.status,
        code: problem.code,
        ...(problem.detail ? { detail: problem.detail } : {}),
        ...(problem.errors ? { errors: problem.errors } : {}),
        ...(problem.extra ?? {}),
        instance: req.url.split('?')[0],
        request_id: rid,
      }),
    );
}
