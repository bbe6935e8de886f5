import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookies } from '../console/session-cookie';
import { FormBody } from '../http/form-body';

/**
 * The browser plumbing of the hosted pages (docs/sign-in.md#cookies-and-headers): the two
 * cookies, the response headers (a strict CSP with no inline anything, no framing, never
 * cached), and the form body.
 */
export const INTERACTION_COOKIE = 'gatehouse_interaction';
export const SESSION_COOKIE = 'gatehouse_session';
/** RFC 6265bis §4.1.3.2: on https the session cookie is `__Host-` (host-only, Path=/, Secure). */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

export function sessionCookieName(issuer: string): string {
  return issuer.startsWith('https:') ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  return parseCookies(req.headers.cookie).get(name);
}

function cookie(name: string, value: string, path: string, maxAgeS: number, secure: boolean): string {
  const attrs = [
    `${name}=${value}`,
    `Path=${path}`,
    `Max-Age=${Math.max(0, Math.floor(maxAgeS))}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (secure) attrs.push('Secure');
  return attrs.join('; ');
}

export function interactionCookie(issuer: string, handle: string, maxAgeS: number): string {
  return cookie(INTERACTION_COOKIE, handle, '/sign-in', maxAgeS, issuer.startsWith('https:'));
}

export function sessionCookie(issuer: string, value: string, maxAgeS: number): string {
  return cookie(sessionCookieName(issuer), value, '/', maxAgeS, issuer.startsWith('https:'));
}

/** The CSP of a page; `formTarget`: the client origin a form on it may end up at (a redirect after POST). */
export function pageCsp(formTarget: string | null): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // The passkey script fetches a ceremony's options (docs/sign-in-experience.md#passkeys-on-the-pages).
    "connect-src 'self'",
    "style-src 'self'",
    "img-src 'self' https:",
    `form-action 'self'${formTarget ? ` ${formTarget}` : ''}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

export function sendPage(reply: FastifyReply, status: number, body: string, formTarget: string | null = null): void {
  void reply
    .status(status)
    .headers(PAGE_HEADERS)
    .header('content-security-policy', pageCsp(formTarget))
    .header('content-type', 'text/html; charset=utf-8')
    .send(body);
}

/** 303 See Other after every POST, and for every redirect of the flow (OAuth 2.1 §7.5.2). */
export function sendRedirect(reply: FastifyReply, location: string): void {
  void reply.status(303).headers(PAGE_HEADERS).header('location', location).send();
}

export function origin(uri: string): string | null {
  try {
    return new URL(uri).origin;
  } catch {
    return null;
  }
}

/** A WebAuthn credential's JSON (a passkey step's `response`) runs to a few KiB; every other field stays short. */
const FIELD_CAP: Readonly<Record<string, number>> = { response: 32_768 };

/** The posted form, single-valued (a repeated field keeps its first value). */
export function formOf(req: FastifyRequest): Record<string, string> {
  const body = req.body;
  const out: Record<string, string> = {};
  if (!(body instanceof FormBody)) return out;
  for (const name of body.params.names()) {
    if (name.length <= 64) out[name] = body.params.all(name)[0]?.slice(0, FIELD_CAP[name] ?? 4096) ?? '';
  }
  return out;
}
