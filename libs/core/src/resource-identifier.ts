/**
 * The identifier of a registered resource (RFC 8707 §2; docs/resources.md#identifiers).
 *
 * A resource indicator is compared exactly as registered: the `resource` a client sends must
 * equal the identifier character for character, with no normalisation at request time. So the
 * rules are applied once, at registration, and they refuse every form that has another
 * spelling instead of rewriting it: an identifier is accepted only in its canonical WHATWG URL
 * serialisation (lower-case scheme and host, no default port, no `.`/`..` segments, IPv4 in
 * dotted-decimal form), except that the root path may be left off (`https://api.example.com`
 * and `https://api.example.com/` are both canonical, and distinct).
 *
 * - absolute `https` URI, or `http` on a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`),
 *   the MCP profile's rule for development servers;
 * - no fragment (RFC 8707 §2: MUST NOT), no userinfo, no dot segments, raw or percent-encoded;
 * - no whitespace, control characters or backslashes; at most 2048 characters.
 *
 * Returns what is wrong, or null when the identifier is acceptable.
 */
export function resourceIdentifierProblem(value: string): string | null {
  if (value.length === 0 || value.length > MAX_RESOURCE_IDENTIFIER_LENGTH) {
    return `must be 1 to ${MAX_RESOURCE_IDENTIFIER_LENGTH} characters`;
  }
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return 'must not contain spaces, control characters or "\\"';
  if (value.includes('#')) return 'must not contain a fragment (RFC 8707 §2)';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1];
  if (!scheme) return 'must be an absolute URI';
  if (scheme !== 'https' && scheme !== 'http') {
    return scheme.toLowerCase() === scheme
      ? 'must be an https URI (or http on a loopback host)'
      : 'the scheme must be lower case';
  }
  if (!value.startsWith(`${scheme}://`)) return 'must be an absolute URI with a host';
  const authority = value.slice(scheme.length + 3).split(/[/?]/, 1)[0];
  if (authority.includes('@')) return 'must not contain userinfo';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URI';
  }
  if (!url.hostname) return 'must name a host';
  if (scheme === 'http' && !isLoopbackHost(url.hostname)) {
    return 'http is allowed on a loopback host only (localhost, 127.0.0.1, [::1]); use https';
  }
  const rawPath = value.slice(scheme.length + 3 + authority.length).split('?', 1)[0];
  if (rawPath.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    return 'must not contain "." or ".." path segments';
  }
  const canonical = url.href;
  const rootless = url.pathname === '/' && url.search === '' && value + '/' === canonical;
  if (value !== canonical && !rootless) {
    const suggestion = rawPath === '' && url.pathname === '/' && url.search === '' ? canonical.slice(0, -1) : canonical;
    return `must be written in canonical form: ${suggestion}`;
  }
  return null;
}

export const MAX_RESOURCE_IDENTIFIER_LENGTH = 2048;

/** RFC 8252 §8.3 loopback hosts, as the WHATWG parser spells them. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
