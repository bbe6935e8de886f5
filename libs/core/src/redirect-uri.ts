/**
 * Redirect URIs of clients that sign people in (docs/sign-in.md#redirect-uris). Pure, so the
 * management API (registration) and the authorization endpoint (matching) apply one rule.
 */

/** RFC 8252 §7.3 loopback hosts: the IP literals, and `localhost` as the issue of native apps. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export type ClientType = 'confidential' | 'public';
export const CLIENT_TYPES = ['confidential', 'public'] as const;
export const CONSENT_MODES = ['required', 'first_party'] as const;
export type ConsentMode = (typeof CONSENT_MODES)[number];

function parse(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Whether `url` is an `http:` URL to a loopback host (RFC 8252 §7.3). */
export function isLoopbackRedirect(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * What is wrong with `value` as a registered redirect URI, or null: an absolute `https` URL
 * (or `http` to a loopback host, RFC 8252 §7.3), without userinfo or fragment (RFC 6749
 * §3.1.2: MUST NOT include a fragment).
 */
export function redirectUriProblem(value: string): string | null {
  if (value.length > 2048) return 'must be at most 2048 characters';
  const url = parse(value);
  if (!url) return 'must be an absolute URL';
  if (url.username || url.password) return 'must not carry userinfo';
  if (value.includes('#')) return 'must not have a fragment (RFC 6749 §3.1.2)';
  if (url.protocol === 'https:') return null;
  if (isLoopbackRedirect(url)) return null;
  return 'must be https, or http to a loopback host (127.0.0.1, [::1], localhost) for native apps';
}

/** What is wrong with `value` as a page the consent screen links to (logo, home, policy, terms). */
export function clientPageUriProblem(value: string): string | null {
  if (value.length > 2048) return 'must be at most 2048 characters';
  const url = parse(value);
  if (!url) return 'must be an absolute URL';
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.username || url.password) return 'must not carry userinfo';
  return null;
}

/**
 * Whether `presented` is one of `registered`: exact string comparison (RFC 9700 §4.1.3;
 * OAuth 2.1 §2.3.1), except that a public client's loopback redirect matches on any port
 * (RFC 8252 §7.3: the native app picks a free port at the time of the request), the
 * scheme, host, path and query still compared exactly.
 */
export function redirectUriMatches(registered: readonly string[], presented: string, type: ClientType): boolean {
  if (registered.includes(presented)) return true;
  if (type !== 'public') return false;
  const p = parse(presented);
  if (!p || !isLoopbackRedirect(p) || p.username || p.password || presented.includes('#')) return false;
  const withoutPort = (u: URL) => `${u.protocol}//${u.hostname}${u.pathname}${u.search}`;
  return registered.some((r) => {
    const u = parse(r);
    return u !== null && isLoopbackRedirect(u) && withoutPort(u) === withoutPort(p);
  });
}
