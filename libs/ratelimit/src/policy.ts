/** A limit: `limit` requests per `windowS` seconds, named for the RateLimit headers. */
export interface RateLimitPolicy {
  name: string;
  limit: number;
  windowS: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** Seconds until the quota is fully restored. */
  resetS: number;
  /** Seconds to wait before retrying (0 when allowed). */
  retryAfterS: number;
  policy: RateLimitPolicy;
}

/**
 * IETF draft-ietf-httpapi-ratelimit-headers field values:
 * `RateLimit-Policy: "token";q=600;w=60` and `RateLimit: "token";r=42;t=30`.
 */
export function rateLimitHeaders(r: RateLimitResult): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Policy': `"${r.policy.name}";q=${r.policy.limit};w=${r.policy.windowS}`,
    RateLimit: `"${r.policy.name}";r=${r.remaining};t=${r.resetS}`,
  };
  if (!r.allowed) headers['Retry-After'] = String(r.retryAfterS);
  return headers;
}

/** GCRA parameters in microseconds: emission interval and burst tolerance (= the window). */
export function gcraParams(p: RateLimitPolicy): { intervalUs: number; toleranceUs: number } {
  const toleranceUs = p.windowS * 1_000_000;
  return { intervalUs: Math.max(1, Math.floor(toleranceUs / p.limit)), toleranceUs };
}
