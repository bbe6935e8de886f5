/**
 * Audit details never hold a secret (logto's sanitizeSensitiveDataRecord): any field whose
 * name suggests one is replaced, at any depth, before the row is written.
 */
const SENSITIVE =
  /pass(word)?|secret|token|totp|otp|seed|code|private|credential|authorization|cookie|^key$|kek|pepper/i;

export const REDACTED = '[redacted]';

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SENSITIVE.test(k) && !ALLOWED.has(k) ? REDACTED : redact(v, depth + 1),
      ]),
    );
  }
  return value;
}

/** Names that match the pattern but hold no secret. */
const ALLOWED = new Set([
  'recovery_code_count',
  'token_type',
  'token_ttl_s',
  'tokenTtlS',
  'token_rate_limit',
  'secret_id',
  'secretId',
  'grant_type',
  'code_count',
  'managed_token_id',
  'token_endpoint_auth_method',
  'dpop_bound_access_tokens',
]);
