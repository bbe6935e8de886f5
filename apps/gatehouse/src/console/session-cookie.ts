/**
 * The console's refresh cookie (docs/console.md#session): the refresh token lives only in
 * an HttpOnly cookie that the browser sends to the console's session routes and nowhere
 * else, so page script — and anything injected into it — never reads it.
 */
export const REFRESH_COOKIE = 'gatehouse_console_refresh';

/** The only path the cookie is sent to: the console session routes (RFC 6265 §5.1.4). */
export const REFRESH_COOKIE_PATH = '/v1/console/session';

/** RFC 6265 §4.2.1 Cookie header → name/value pairs; the first of a repeated name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

export interface RefreshCookieOptions {
  /** Seconds the browser keeps it; 0 deletes it. */
  maxAgeS: number;
  /** Set when the console is served over https (RFC 6265 §4.1.2.5). */
  secure: boolean;
}

/** The Set-Cookie value: HttpOnly, SameSite=Strict, scoped to the session routes. */
export function refreshCookie(value: string, o: RefreshCookieOptions): string {
  if (!/^[A-Za-z0-9_.-]*$/.test(value)) throw new Error('refresh token has characters a cookie cannot carry');
  const attrs = [
    `${REFRESH_COOKIE}=${value}`,
    `Path=${REFRESH_COOKIE_PATH}`,
    `Max-Age=${Math.max(0, Math.floor(o.maxAgeS))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (o.secure) attrs.push('Secure');
  return attrs.join('; ');
}
