/**
 * Why a token was refused: a closed set of codes, each carrying its HTTP status and its
 * RFC 6750 §3.1 `error`, so the answer is right wherever it is thrown.
 */
export type VerifierErrorCode =
  | 'token_missing'
  | 'invalid_request'
  | 'token_malformed'
  | 'alg_not_allowed'
  | 'typ_invalid'
  | 'key_unknown'
  | 'signature_invalid'
  | 'issuer_invalid'
  | 'audience_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'claims_invalid'
  | 'token_revoked'
  | 'access_stopped'
  | 'access_denied'
  | 'tier_not_allowed'
  | 'insufficient_scope'
  | 'org_mismatch'
  | 'delegation_refused'
  | 'rate_limited'
  | 'verifier_unavailable'
  | 'dpop_required'
  | 'dpop_proof_invalid'
  | 'dpop_key_mismatch'
  | 'dpop_replayed'
  | 'dpop_nonce_required';

/**
 * RFC 6750 §3.1 error codes, and RFC 9449 §7.1's two for DPoP (`undefined`: no error
 * attribute, as for a request without a token).
 */
export type BearerErrorCode =
  'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce';

const TABLE: Record<VerifierErrorCode, { status: number; error?: BearerErrorCode }> = {
  token_missing: { status: 401 },
  invalid_request: { status: 400, error: 'invalid_request' },
  token_malformed: { status: 401, error: 'invalid_token' },
  alg_not_allowed: { status: 401, error: 'invalid_token' },
  typ_invalid: { status: 401, error: 'invalid_token' },
  key_unknown: { status: 401, error: 'invalid_token' },
  signature_invalid: { status: 401, error: 'invalid_token' },
  issuer_invalid: { status: 401, error: 'invalid_token' },
  audience_invalid: { status: 401, error: 'invalid_token' },
  token_expired: { status: 401, error: 'invalid_token' },
  token_not_yet_valid: { status: 401, error: 'invalid_token' },
  claims_invalid: { status: 401, error: 'invalid_token' },
  token_revoked: { status: 401, error: 'invalid_token' },
  access_stopped: { status: 403 },
  access_denied: { status: 403 },
  tier_not_allowed: { status: 403, error: 'insufficient_scope' },
  insufficient_scope: { status: 403, error: 'insufficient_scope' },
  org_mismatch: { status: 403, error: 'insufficient_scope' },
  delegation_refused: { status: 403, error: 'insufficient_scope' },
  rate_limited: { status: 429 },
  verifier_unavailable: { status: 503 },
  // RFC 9449 §7.1: a DPoP-bound token sent as a bearer token is an invalid token.
  dpop_required: { status: 401, error: 'invalid_token' },
  dpop_proof_invalid: { status: 401, error: 'invalid_dpop_proof' },
  dpop_key_mismatch: { status: 401, error: 'invalid_dpop_proof' },
  dpop_replayed: { status: 401, error: 'invalid_dpop_proof' },
  dpop_nonce_required: { status: 401, error: 'use_dpop_nonce' },
};

export interface VerifierErrorOptions {
  /** Scopes the request needed (RFC 6750 §3: the `scope` attribute of insufficient_scope). */
  scope?: string;
  /** Extra response headers (Retry-After, RateLimit fields). */
  headers?: Record<string, string>;
  /** For logs only, never sent to the client. */
  internal?: string;
  /** Extra members of the JSON body (a decision's `reason`, `recovery`, `decision_id`). */
  members?: Record<string, string>;
}

/**
 * A refused token or request. `description` is safe to send to the client; `internal` is
 * for logs. `status`, `bearerError` and {@link VerifierError.responseHeaders} are the
 * RFC 6750 answer.
 *
 * @example
 * ```ts
 * try {
 *   principal = await verifier.verify(token);
 * } catch (err) {
 *   if (err instanceof VerifierError) {
 *     res.writeHead(err.status, err.responseHeaders()).end(JSON.stringify(err.toJSON()));
 *   } else throw err;
 * }
 * ```
 */
export class VerifierError extends Error {
  readonly status: number;
  readonly bearerError?: BearerErrorCode;
  readonly scope?: string;
  readonly headers: Record<string, string>;
  readonly internal?: string;
  readonly members: Record<string, string>;

  constructor(
    readonly code: VerifierErrorCode,
    readonly description: string,
    options: VerifierErrorOptions = {},
  ) {
    super(description);
    this.name = 'VerifierError';
    this.status = TABLE[code].status;
    this.bearerError = TABLE[code].error;
    this.scope = options.scope;
    this.headers = options.headers ?? {};
    this.internal = options.internal;
    this.members = options.members ?? {};
  }

  /** The `WWW-Authenticate` challenge (RFC 6750 §3), or `undefined` when none belongs on the answer. */
  wwwAuthenticate(realm?: string): string | undefined {
    if (this.status !== 401 && this.status !== 403 && this.status !== 400) return undefined;
    const params: string[] = [];
    if (realm) params.push(`realm="${quotable(realm)}"`);
    if (this.bearerError) {
      params.push(`error="${this.bearerError}"`, `error_description="${quotable(this.description)}"`);
    }
    if (this.scope) params.push(`scope="${quotable(this.scope)}"`);
    return params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
  }

  /** Every header the answer needs: the challenge plus Retry-After / RateLimit fields. */
  responseHeaders(realm?: string): Record<string, string> {
    const challenge = this.wwwAuthenticate(realm);
    return { ...this.headers, ...(challenge ? { 'WWW-Authenticate': challenge } : {}) };
  }

  /** An RFC 6750-style JSON body: `{ error, error_description }` (plus a decision's members). */
  toJSON(): { error: string; error_description: string } & Record<string, string> {
    return { ...this.members, error: this.bearerError ?? this.code, error_description: this.description };
  }
}

/** RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E only. */
function quotable(s: string): string {
  return s.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
