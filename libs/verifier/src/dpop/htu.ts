/**
 * RFC 9449 §4.3 step 9: `htu` is compared with the request's URI "ignoring any query and
 * fragment parts", after syntax- and scheme-based normalisation (RFC 3986 §6.2.2, §6.2.3):
 * the WHATWG URL parser lower-cases the scheme and host, drops a default port and resolves
 * dot segments. Null when `value` is not an absolute http(s) URL.
 *
 * @example
 * ```ts
 * normalizeHtu('HTTPS://API.Example.com:443/mcp?x=1'); // 'https://api.example.com/mcp'
 * ```
 */
export function normalizeHtu(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 4096) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  url.search = '';
  url.hash = '';
  url.username = '';
  url.password = '';
  return url.href;
}
