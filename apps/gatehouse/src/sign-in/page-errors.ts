import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from '../http/problem';
import { sendProblem } from '../http/problem';
import { requestId } from '../http/request-meta.decorator';
import { DEFAULT_BRANDING } from './branding';
import { sendPage } from './browser-http';
import { negotiateLocale } from '@gatehouse/signin';
import { pageText } from './page-text';
import { errorPage } from './pages/pages';

/** The browser surfaces: the hosted pages, the authorization endpoint and logout. */
export function isBrowserRoute(url: string): boolean {
  const path = url.split('?')[0];
  return path === '/sign-in' || path.startsWith('/sign-in/') || path === '/oauth/authorize' || path === '/oauth/logout';
}

/**
 * Anything thrown on a browser route is a page with a clear message and the request id
 * (docs/sign-in.md#errors), never JSON or a stack trace; PostgreSQL unreachable is a 503 page
 * with Retry-After. The cause is logged exactly as the management API logs it.
 */
export function sendErrorPage(req: FastifyRequest, reply: FastifyReply, err: unknown): void {
  const problem = toProblem(err);
  // Log (and classify) as the API does, into a reply that is then discarded.
  const sink = { header: () => sink, status: () => sink, send: () => sink } as unknown as FastifyReply;
  sendProblem(req, sink, err);
  const status = problem.status;
  const key =
    status === 503 ? 'unavailable' : status === 404 ? 'not_found' : status >= 500 ? 'internal' : 'invalid_request';
  if (status === 503) void reply.header('retry-after', problem.headers['Retry-After'] ?? '5');
  if (status === 429 && problem.headers['Retry-After'])
    void reply.header('retry-after', problem.headers['Retry-After']);
  const text = pageText(negotiateLocale({ acceptLanguage: req.headers['accept-language'] ?? null }));
  sendPage(reply, status, errorPage(text, DEFAULT_BRANDING, key, requestId(req) ?? 'unknown'));
}
