/**
 * Domain errors. Two surfaces, two shapes (docs/architecture.md#a-request-end-to-end):
 * - ProblemError → management API, `application/problem+json` (RFC 9457) with a stable `code`;
 * - OAuthError   → protocol endpoints, RFC 6749 §5.2 bodies.
 * What the client sees (`detail`, `error_description`) is kept apart from `internal`,
 * which only the log sees.
 */

export type ProblemCode =
  | 'validation_failed'
  | 'malformed_request'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'resource_in_use'
  | 'forbidden'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_credentials'
  | 'invalid_client'
  | 'mfa_failed'
  | 'mfa_required'
  | 'mfa_already_active'
  | 'policy_token_invalid'
  | 'invalid_grant'
  | 'account_locked'
  | 'weak_password'
  | 'rate_limited'
  | 'service_unavailable'
  | 'internal_error'
  | 'invalid_dpop_proof'
  | 'operator_owned'
  | 'link_invalid'
  | 'signup_not_allowed'
  | 'passkey_failed'
  | 'factor_not_allowed'
  | 'password_login_disabled';

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  internal?: string;
  extra?: Record<string, unknown>;
}

export class ProblemError extends Error {
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;
  readonly internal?: string;
  readonly extra?: Record<string, unknown>;

  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly title: string,
    options: ProblemOptions = {},
  ) {
    super(options.detail ?? title);
    this.name = 'ProblemError';
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.internal = options.internal;
    this.extra = options.extra;
  }
}

export const Problems = {
  validation: (errors: FieldError[]) =>
    new ProblemError(400, 'validation_failed', 'Request validation failed', {
      detail: errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; '),
      errors,
    }),
  malformed: (detail: string) => new ProblemError(400, 'malformed_request', 'Malformed request', { detail }),
  notFound: (what = 'resource') =>
    new ProblemError(404, 'not_found', 'Not found', { detail: `The ${what} does not exist.` }),
  /** `extra`: members that say what the conflict is with (the required policy version, …). */
  conflict: (detail: string, extra?: Record<string, unknown>) =>
    new ProblemError(409, 'conflict', 'Conflict', { detail, ...(extra ? { extra } : {}) }),
  forbidden: (detail: string) => new ProblemError(403, 'forbidden', 'Forbidden', { detail }),
  invalidCredentials: () =>
    new ProblemError(401, 'invalid_credentials', 'Invalid credentials', {
      detail: 'The email or password is incorrect.',
    }),
  /** RFC 6750 §3: every bearer failure says why in WWW-Authenticate. */
  invalidToken: (description: string, internal?: string) =>
    new ProblemError(401, 'invalid_token', 'Invalid access token', {
      detail: description,
      internal,
      headers: {
        'WWW-Authenticate': `Bearer realm="gatehouse", error="invalid_token", error_description="${description.replace(/["\\]/g, '')}"`,
      },
    }),
  missingToken: () =>
    new ProblemError(401, 'invalid_token', 'Authentication required', {
      detail: 'This endpoint requires a bearer access token.',
      headers: { 'WWW-Authenticate': 'Bearer realm="gatehouse"' },
    }),
  insufficientScope: (scope: string) =>
    new ProblemError(403, 'insufficient_scope', 'Insufficient scope', {
      detail: `This endpoint requires the "${scope}" scope.`,
      headers: {
        'WWW-Authenticate': `Bearer realm="gatehouse", error="insufficient_scope", scope="${scope}"`,
      },
    }),
  rateLimited: (headers: Record<string, string>, retryAfterS: number) =>
    new ProblemError(429, 'rate_limited', 'Too many requests', {
      detail: `Slow down; retry in ${retryAfterS} s.`,
      headers,
      extra: { retry_after: retryAfterS },
    }),
  locked: (retryAfterS: number) =>
    new ProblemError(429, 'account_locked', 'Too many failed attempts', {
      detail: `Sign-in is paused after repeated failures; try again in ${retryAfterS} s.`,
      headers: { 'Retry-After': String(retryAfterS) },
      extra: { retry_after: retryAfterS },
    }),
  unavailable: (detail: string, retryAfterS = 5) =>
    new ProblemError(503, 'service_unavailable', 'Service unavailable', {
      detail,
      headers: { 'Retry-After': String(retryAfterS) },
    }),
} as const;

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_token';

export interface OAuthErrorOptions {
  /** Response headers (WWW-Authenticate, Retry-After). */
  headers?: Record<string, string>;
  /** What only the log sees (node-oidc-provider's `error_detail`); never sent. */
  detail?: string;
  /** Extension members of the error body (RFC 6749 §5.2 allows them): `reason`, `recovery`, … */
  extra?: Record<string, unknown>;
}

/**
 * RFC 6749 §5.2 error: a closed set of classes, each of which fixes its own `error` code and
 * HTTP status, so the status is right wherever one is thrown (node-oidc-provider
 * `helpers/errors.js`). `description` is for the client; `detail` is for the log only.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: OAuthErrorCode;
  abstract readonly status: number;
  readonly headers: Record<string, string>;
  readonly detail?: string;
  readonly extra?: Record<string, unknown>;

  constructor(
    readonly description?: string,
    options: OAuthErrorOptions = {},
  ) {
    super(description);
    this.name = new.target.name;
    this.headers = options.headers ?? {};
    this.detail = options.detail;
    this.extra = options.extra;
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
  readonly status = 400;
}
/** An unreadable or oversized body: `invalid_request`, with 413 so proxies and clients see the size. */
export class RequestTooLarge extends OAuthError {
  readonly error = 'invalid_request';
  readonly status = 413;
}
/** RFC 6749 §5.2: 401 when the client authenticated (or tried to) through the Authorization header. */
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  readonly status = 401;
}
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
  readonly status = 400;
}
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
  readonly status = 400;
}
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
  readonly status = 400;
}
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
  readonly status = 400;
}
/** RFC 8707 §2 and RFC 8693 §2.2.2: a `resource` or `audience` the client may not ask for. */
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
  readonly status = 400;
}
/** A valid request the access gate stopped (docs/control.md): 403 with `reason`, `recovery`, `decision_id`. */
export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
  readonly status = 403;
}
/** RFC 9449 §5: the DPoP proof of a token request is missing, malformed, replayed or wrong. */
export class InvalidDpopProof extends OAuthError {
  readonly error = 'invalid_dpop_proof';
  readonly status = 400;
}
/** RFC 9449 §8: the proof must carry the server's current nonce, sent in the `DPoP-Nonce` header. */
export class UseDpopNonce extends OAuthError {
  readonly error = 'use_dpop_nonce';
  readonly status = 400;
}
/** RFC 7591 §3.2.2: a registration's metadata is refused. */
export class InvalidClientMetadata extends OAuthError {
  readonly error = 'invalid_client_metadata';
  readonly status = 400;
}
/** RFC 7591 §3.2.2: a registration's `redirect_uris` are refused. */
export class InvalidRedirectUri extends OAuthError {
  readonly error = 'invalid_redirect_uri';
  readonly status = 400;
}
/** RFC 7592 §2 / RFC 6750 §3.1: a registration access token that is missing, wrong or for another client. */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  readonly status = 401;
}
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  readonly status = 500;
}
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  readonly status = 503;
}
/**
 * A client over its token rate (docs/design.md §6). RFC 6749 has no code for it; 429 with
 * Retry-After and `temporarily_unavailable` is what clients' retry logic already understands.
 */
export class TokenRateExceeded extends OAuthError {
  readonly error = 'temporarily_unavailable';
  readonly status = 429;
}

/** A decision of the access gate that is not an allow (libs/tokens/src/access-gate.ts). */
export interface StoppedDecision {
  outcome: 'deny' | 'review';
  /** A stable reason code clients switch on (`contract_inactive`, …). */
  reason: string;
  /** The HTTP status the refusal carries on the management API (403 unless the reason says). */
  status: number;
  /** One human sentence, the same for support, buyers and operators. */
  message: string;
  /** What to do to get through: the recovery path. */
  recovery: string;
  /** `dec_…`: names the decision in the audit log. */
  decisionId: string;
  /** `apr_…` when the outcome is `review`: the approval request to act on. */
  approvalId?: string;
}

/**
 * A valid request that the access gate stopped, before it is known which surface answers:
 * the OAuth filter renders it as `access_denied` (RFC 6749 §5.2 plus extension members),
 * the problem filter as problem+json whose `code` is the reason (docs/control.md).
 */
export class AccessStoppedError extends Error {
  /** A private field: an error logged with its properties does not carry these. */
  readonly #recoveryMembers: Readonly<Record<string, string | number>>;

  /**
   * `recoveryMembers`: what one surface adds for the way through the stop — user sign-in's
   * `policy_token` and the policy to accept (docs/control.md#policy). Only the answer
   * carries them, never a log line or an audit row.
   */
  constructor(
    readonly decision: StoppedDecision,
    recoveryMembers: Readonly<Record<string, string | number>> = {},
  ) {
    super(decision.message);
    this.name = 'AccessStoppedError';
    this.#recoveryMembers = recoveryMembers;
  }

  /** The extension members both surfaces carry. */
  get members(): Record<string, string | number> {
    const d = this.decision;
    return {
      reason: d.reason,
      recovery: d.recovery,
      decision_id: d.decisionId,
      ...(d.outcome === 'review' ? { outcome: 'review' } : {}),
      ...(d.approvalId ? { approval_id: d.approvalId } : {}),
      ...this.#recoveryMembers,
    };
  }
}
