import type { RateLimitPolicy } from './policy';

/** While Redis is unreachable, the whole instance enforces at most this fraction of a limit. */
export const FALLBACK_FACTOR = 0.5;

/**
 * The limit one worker process enforces locally while Redis is unreachable
 * (docs/reliability.md#redis-fallback). Every worker counts on its own then, so the
 * instance's share (`FALLBACK_FACTOR` of the limit) is divided by the number of workers:
 * W workers together allow at most `limit × FALLBACK_FACTOR` per window, stricter than
 * the shared limit whatever W is. Where that is less than one request per worker and
 * window, the window is stretched instead (one request per worker per longer window), so
 * small limits stay strict too.
 */
export function fallbackPolicy(policy: RateLimitPolicy, workers: number): RateLimitPolicy {
  const share = (policy.limit * FALLBACK_FACTOR) / Math.max(1, workers);
  if (share >= 1) return { ...policy, limit: Math.floor(share) };
  return { ...policy, limit: 1, windowS: Math.ceil(policy.windowS / share) };
}
