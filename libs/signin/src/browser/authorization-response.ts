import type { ResponseMode } from '@gatehouse/oauth';

/**
 * What goes back to the client (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 `iss`): the redirect
 * URI, how (`query`, or `form_post`: an auto-posting page), and the parameters.
 */
export interface AuthorizationResponse {
  kind: 'respond';
  redirectUri: string;
  mode: ResponseMode;
  params: Record<string, string>;
}

export function respond(
  redirectUri: string,
  mode: ResponseMode,
  issuer: string,
  state: string | null,
  params: Record<string, string>,
): AuthorizationResponse {
  return {
    kind: 'respond',
    redirectUri,
    mode,
    params: { ...params, ...(state !== null ? { state } : {}), iss: issuer },
  };
}

/** The redirect URI with the response parameters added to its query (RFC 6749 §3.1.2: keep its own query). */
export function responseLocation(r: AuthorizationResponse): string {
  const url = new URL(r.redirectUri);
  for (const [k, v] of Object.entries(r.params)) url.searchParams.append(k, v);
  return url.toString();
}
