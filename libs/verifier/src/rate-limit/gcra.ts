/**
 * GCRA, the limiter Gatehouse runs on every bearer route (docs/design.md §6). It lives
 * here, in the package downstream services install, and Gatehouse's libs/ratelimit
 * imports it, so there is one implementation: test/verifier-rate-limit checks that both
 * produce the same key and the same decisions on one Redis.
 */

/** A limit: `limit` requests per `windowS` seconds, named for the RateLimit headers. */
export interface RateLimitPolicy {
  name: string;
  limit: number;
  windowS: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** Seconds until the quota is fully restored. */
  resetS: number;
  /** Seconds to wait before retrying (0 when allowed). */
  retryAfterS: number;
  policy: RateLimitPolicy;
}

/** Gatehouse's per-token default: 600 requests a minute, named "token". */
export const DEFAULT_TOKEN_POLICY: RateLimitPolicy = { name: 'token', limit: 600, windowS: 60 };

/** Gatehouse's key for a token's counter: `<prefix>rl:tok:<jti>`. */
export function tokenRateLimitKey(prefix: string, jti: string): string {
  return `${prefix}rl:tok:${jti}`;
}

/**
 * IETF draft-ietf-httpapi-ratelimit-headers fields, as Gatehouse sends them:
 * `RateLimit-Policy: "token";q=600;w=60`, `RateLimit: "token";r=42;t=30`, and
 * `Retry-After` on a refusal.
 */
export function rateLimitHeaders(r: RateLimitDecision): Record<string, string> {
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

export function ceilS(us: number): number {
  return Math.ceil(us / 1_000_000);
}

/** One Lua call, on Redis's own clock (TIME): atomic and exact across hosts whose clocks drift. */
export const GCRA_LUA = `
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((tolerance - (new_tat - now)) / interval), new_tat - now, 0}
`;

/** The reply of GCRA_LUA: allowed (1/0), remaining, µs until full, µs until retry. */
export function decisionFromReply(reply: unknown, policy: RateLimitPolicy): RateLimitDecision {
  const [allowed, remaining, resetUs, retryUs] = (reply as number[]).map(Number);
  return {
    allowed: allowed === 1,
    remaining,
    resetS: ceilS(resetUs),
    retryAfterS: allowed === 1 ? 0 : Math.max(1, ceilS(retryUs)),
    policy,
  };
}

/** The same arithmetic in process memory: no Redis, or the stricter fallback while it is down. */
export class MemoryGcra {
  private readonly tat = new Map<string, number>();
  private checks = 0;

  check(key: string, policy: RateLimitPolicy, nowUs = Date.now() * 1000): RateLimitDecision {
    const { intervalUs, toleranceUs } = gcraParams(policy);
    const tat = Math.max(this.tat.get(key) ?? 0, nowUs);
    const newTat = tat + intervalUs;
    const allowAt = newTat - toleranceUs;
    if (++this.checks % 1000 === 0) for (const [k, v] of this.tat) if (v <= nowUs) this.tat.delete(k);
    if (nowUs < allowAt) {
      return {
        allowed: false,
        remaining: 0,
        resetS: ceilS(tat - nowUs),
        retryAfterS: Math.max(1, ceilS(allowAt - nowUs)),
        policy,
      };
    }
    this.tat.set(key, newTat);
    return {
      allowed: true,
      remaining: Math.floor((toleranceUs - (newTat - nowUs)) / intervalUs),
      resetS: ceilS(newTat - nowUs),
      retryAfterS: 0,
      policy,
    };
  }
}
