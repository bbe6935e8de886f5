/**
 * Domain errors. Two surfaces, two shapes (STYLE.md "Errors"):
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
  | 'forbidden'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_credentials'
  | 'invalid_client'
  | 'mfa_failed'
  | 'mfa_required'
  | 'mfa_already_active'
  | 'invalid_grant'
  | 'account_locked'
  | 'weak_password'
  | 'rate_limited'
  | 'service_unavailable'
  | 'internal_error';

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
  conflict: (detail: string) => new ProblemError(409, 'conflict', 'Conflict', { detail }),
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
  | 'server_error'
  | 'temporarily_unavailable';

/** RFC 6749 §5.2 error. The status travels with the class so it is right wherever thrown. */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly status: number,
    readonly description?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description ?? error);
    this.name = 'OAuthError';
  }
}
