/** The longest issuer identifier accepted (an RFC 8414 issuer is a URL; this bounds storage and logs). */
export const MAX_ISSUER_LENGTH = 2048;

const LOOPBACK_HOSTS = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i;

/**
 * Why `value` cannot be another server's issuer identifier, or null. RFC 8414 §2: an `https`
 * URL with no query and no fragment (plain `http` only to a loopback host, for development,
 * with GATEHOUSE_CIMD_ALLOW_LOOPBACK); compared exactly as written afterwards, so the
 * canonical spelling the server itself publishes is the one to register. Never Gatehouse's
 * own issuer: an identity provider must not take back its own grants
 * (draft-ietf-oauth-identity-assertion-authz-grant, "Cross-Domain Use").
 */
export function issuerProblem(value: string, opts: { allowLoopback: boolean; ownIssuer: string }): string | null {
  if (value.length > MAX_ISSUER_LENGTH) return `must be at most ${MAX_ISSUER_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (/[\s\\]/.test(value)) return 'must not contain whitespace or backslashes';
  if (url.username || url.password) return 'must not carry userinfo';
  if (value.includes('#') || value.includes('?')) return 'must have no query or fragment (RFC 8414 §2)';
  const loopbackHttp = url.protocol === 'http:' && opts.allowLoopback && LOOPBACK_HOSTS.test(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    return opts.allowLoopback ? 'must be https (or http to a loopback host)' : 'must be an https URL';
  }
  if (value === opts.ownIssuer || value === `${opts.ownIssuer}/`) {
    return "is this server's own issuer: Gatehouse never accepts the grants it issues";
  }
  return null;
}
