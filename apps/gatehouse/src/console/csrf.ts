/**
 * CSRF defence for the cookie-authenticated console routes (docs/console.md#csrf). The
 * refresh cookie is SameSite=Strict already; on top of that a request must
 * - carry the custom header `X-Gatehouse-Console: 1`, which a cross-site form cannot send
 *   and a cross-site fetch can only send after a CORS preflight Gatehouse never approves;
 * - name an Origin (browsers send it on every POST) equal to one the console is served at;
 * - not be marked cross-site by Fetch Metadata (`Sec-Fetch-Site`), where the browser sends it.
 * Any failure is the same refusal, so the check reveals nothing about which part failed.
 */
export const CONSOLE_HEADER = 'x-gatehouse-console';

export interface CsrfInput {
  origin?: string;
  consoleHeader?: string;
  fetchSite?: string;
}

export function csrfRefusal(input: CsrfInput, allowedOrigins: readonly string[]): string | null {
  if (input.consoleHeader !== '1') return 'the X-Gatehouse-Console header is missing';
  if (!input.origin || !allowedOrigins.includes(input.origin)) return 'the Origin is not the console’s';
  if (input.fetchSite !== undefined && input.fetchSite !== 'same-origin') return 'the request is cross-site';
  return null;
}

/** The origins the console is served at: the issuer's and the one this request reached. */
export function consoleOrigins(issuer: string, protocol: string, host: string | undefined): string[] {
  const origins = [new URL(issuer).origin];
  if (host) {
    try {
      origins.push(new URL(`${protocol}://${host}`).origin);
    } catch {
      // a Host header that is not a host: only the issuer's origin counts
    }
  }
  return origins;
}
