/**
 * The public claim types of Gatehouse access tokens (docs/design.md §3, a contract).
 * Gatehouse's own `tokens` library imports them from here, so the issuer and every
 * verifier share one definition.
 */

/** Which kind of principal a token speaks for. */
export type Tier = 'admin' | 'app' | 'user';

/** RFC 9068 §2.1: the JWS `typ` of a JWT access token. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** RFC 8693 §4.1 `act`: the party acting, nested for a delegation chain (outermost = most recent). */
export interface ActClaim {
  sub: string;
  act?: ActClaim;
}

/**
 * Access-token claims. `org`/`org_id` appear on app and user tokens only, never on admin
 * tokens; `act`, `step` and `parent_jti` only on per-step (token-exchange) tokens.
 *
 * @example
 * ```ts
 * const claims: AccessTokenClaims = {
 *   iss: 'https://id.example.com', sub: 'app_01H…', aud: 'https://api.example.com',
 *   exp: 1767225600, iat: 1767225000, nbf: 1767225000, jti: 'jti_01H…',
 *   scope: 'invoices:read', tier: 'app', client_id: 'app_01H…', org: 'acme', org_id: 'org_01H…',
 * };
 * ```
 */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  /** Space-separated (RFC 6749 §3.3). */
  scope: string;
  tier: Tier;
  client_id?: string;
  org?: string;
  org_id?: string;
  act?: ActClaim;
  step?: string;
  parent_jti?: string;
  /** RFC 9068 §2.2.1: when the user signed in (epoch seconds), kept across refreshes; user tokens. */
  auth_time?: number;
  /** RFC 8176 authentication methods of the sign-in (`pwd`, `otp`, `hwk`, `user`, `mfa`); sign-in tokens only. */
  amr?: string[];
  /**
   * RFC 8693 §4.4: who may exchange this token for a delegated one — the client ids an
   * application names in its `delegates` (one id, or a list of them).
   */
  may_act?: { sub: string | string[] };
  /**
   * RFC 7800 confirmation: `jkt` is the RFC 7638 thumbprint of the key a DPoP-bound token
   * is bound to (RFC 9449 §6.1); such a token is accepted only with a proof of that key.
   */
  cnf?: { jkt: string };
}

/** The JWS protected header Gatehouse signs with. */
export interface AccessTokenHeader {
  alg: 'RS256';
  typ: typeof ACCESS_TOKEN_TYP;
  kid: string;
}
