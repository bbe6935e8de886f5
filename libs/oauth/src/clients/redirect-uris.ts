/**
 * Redirect URI rules for clients that register themselves (docs/client-registration.md#redirect-uris):
 * RFC 7591 §2 `application_type` as OpenID Connect Dynamic Registration §2 defines it, with
 * RFC 8252 (native apps) for what a native client may use.
 *
 * - `web`: `https` only, never a loopback host.
 * - `native`: `http` on a loopback host (RFC 8252 §7.3; any port), a private-use scheme in
 *   reverse-domain form (RFC 8252 §7.1: `com.example.app:/callback`), or `https` (§7.2).
 * - Every URI: absolute, no fragment (RFC 6749 §3.1.2), no userinfo, no wildcard, at most
 *   2048 characters; compared exactly at the authorization endpoint.
 *
 * Without `application_type`, a client whose URIs are all loopback or private-use is native
 * and any other is web: MCP clients register `http://127.0.0.1:…/callback` without saying
 * `native`, and OpenID's default of `web` would refuse every one of them.
 */
export type ApplicationType = 'web' | 'native';

export const MAX_REDIRECT_URIS = 20;
const MAX_URI_LENGTH = 2048;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** RFC 8252 §7.1: a private-use scheme is a reverse domain name (it contains a dot). */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

type Kind = 'https' | 'loopback' | 'private_use';

function kindOf(uri: string): { kind: Kind; url: URL } | { issue: string } {
  if (uri.length > MAX_URI_LENGTH) return { issue: 'is longer than 2048 characters' };
  if (/[\s\\]/.test(uri) || uri.includes('*')) return { issue: 'contains whitespace, a backslash or a wildcard' };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { issue: 'is not an absolute URI' };
  }
  if (uri.includes('#')) return { issue: 'has a fragment' };
  if (url.username || url.password) return { issue: 'has userinfo' };
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === 'https:') return { kind: loopback ? 'loopback' : 'https', url };
  if (url.protocol === 'http:') {
    return loopback ? { kind: 'loopback', url } : { issue: 'uses http on a host that is not loopback' };
  }
  if (PRIVATE_USE_SCHEME.test(url.protocol)) return { kind: 'private_use', url };
  return { issue: `uses the scheme ${url.protocol.slice(0, -1)}, which is not allowed` };
}

export interface RedirectUriCheck {
  applicationType: ApplicationType;
  /** One message per refused URI, naming it by index. */
  issues: string[];
}

/** Checks `uris` for `declared` (or the inferred type when absent). */
export function checkRedirectUris(uris: readonly string[], declared?: ApplicationType): RedirectUriCheck {
  const issues: string[] = [];
  if (uris.length === 0)
    return { applicationType: declared ?? 'web', issues: ['redirect_uris must list at least one URI'] };
  if (uris.length > MAX_REDIRECT_URIS) issues.push(`redirect_uris lists more than ${MAX_REDIRECT_URIS} URIs`);
  const kinds = uris.map(kindOf);
  const type: ApplicationType = declared ?? (kinds.every((k) => 'kind' in k && k.kind !== 'https') ? 'native' : 'web');
  kinds.forEach((k, i) => {
    if ('issue' in k) issues.push(`redirect_uris[${i}] ${k.issue}`);
    else if (type === 'web' && k.kind !== 'https') {
      issues.push(`redirect_uris[${i}]: a web client redirects to https on a host that is not loopback`);
    }
  });
  if (new Set(uris).size !== uris.length) issues.push('redirect_uris lists a URI twice');
  return { applicationType: type, issues };
}

/** Whether every URI redirects to this machine (the consent page warns: docs/client-registration.md#consent). */
export function allLoopback(uris: readonly string[]): boolean {
  return (
    uris.length > 0 &&
    uris.every((u) => {
      const k = kindOf(u);
      return 'kind' in k && k.kind === 'loopback';
    })
  );
}

/** The hosts the consent page shows (a private-use scheme shows as the scheme). */
export function redirectHosts(uris: readonly string[]): string[] {
  const hosts = uris.map((u) => {
    const k = kindOf(u);
    if ('issue' in k) return u;
    return k.kind === 'private_use' ? k.url.protocol.slice(0, -1) : k.url.host;
  });
  return [...new Set(hosts)];
}
