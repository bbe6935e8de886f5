/**
 * The shape of a Client ID Metadata Document URL (docs/client-registration.md#the-client_id-url),
 * checked before anything is fetched: `https` with a host and a path other than `/`; no
 * fragment, no userinfo, no `.` or `..` segments (raw or percent-encoded); in the form the
 * URL parser writes it, because the document's `client_id` must equal it character for
 * character; at most 2048 characters. `http` only to a loopback host, and only with
 * GATEHOUSE_CIMD_ALLOW_LOOPBACK=true (development and tests).
 */
export const MAX_CLIENT_ID_URL_LENGTH = 2048;

/** A `client_id` that names a metadata document rather than a registered client. */
export function isUrlClientId(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

export type ClientIdUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export function checkClientIdUrl(clientId: string, opts: { allowLoopback: boolean }): ClientIdUrlCheck {
  const refuse = (reason: string): ClientIdUrlCheck => ({ ok: false, reason });
  if (clientId.length > MAX_CLIENT_ID_URL_LENGTH) return refuse('is longer than 2048 characters');
  if (/[\s\\\u0000-\u001f\u007f]/.test(clientId))
    return refuse('contains whitespace, a control character or a backslash');
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return refuse('is not an absolute URL');
  }
  if (clientId.includes('#')) return refuse('has a fragment');
  if (url.username || url.password || /^[a-z]+:\/\/[^/]*@/i.test(clientId)) return refuse('has userinfo');
  const loopback =
    url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && opts.allowLoopback)) {
    return refuse('is not https');
  }
  const rawPath = /^[a-z]+:\/\/[^/?#]*(\/[^?#]*)?/i.exec(clientId)?.[1] ?? '';
  if (rawPath === '' || rawPath === '/') return refuse('has no path');
  if (rawPath.split('/').some((seg) => /^(\.|%2e){1,2}$/i.test(seg))) return refuse('has a dot segment');
  if (url.href !== clientId) return refuse(`is not in canonical form (${url.href})`);
  return { ok: true, url };
}
