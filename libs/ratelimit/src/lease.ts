import type { RateLimitPolicy } from './policy';

/**
 * Leased allowance (docs/architecture.md#rate-limits, leases): how many
 * requests of one key a process takes from Redis's GCRA in one round trip. A lease of n
 * advances the key's theoretical arrival time by n emission intervals at once, exactly as n
 * checks would; the process then admits up to n requests from memory. Limits too small to
 * share (fewer than LEASE_MIN_LIMIT requests a window: sign-in, registration, the per-account
 * limits) are never leased, so every one of their requests still asks Redis.
 */
export const LEASE_MAX = 8;
/** A lease is held at most this long; what is left of it is then given back. */
export const LEASE_TTL_MS = 1_000;
export const LEASE_MIN_LIMIT = 64 * 2;

/** The lease size for `policy`: 1 (no lease: a round trip per request) below LEASE_MIN_LIMIT. */
export function leaseSize(policy: RateLimitPolicy, max = LEASE_MAX): number {
  if (policy.limit < LEASE_MIN_LIMIT) return 1;
  return Math.max(1, Math.min(max, Math.floor(policy.limit / 64)));
}

/**
 * GCRA with a quantity, on Redis's clock (the verifier's GCRA_LUA takes one): first gives
 * back `returned` unused slots of an earlier lease (never moving the TAT before now), then
 * takes up to `want` that fit. Reply: granted (0: refused), remaining after the grant, µs
 * until the key is full again, µs until one more fits (on a refusal).
 */
export const LEASE_LUA = `
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local returned = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') - returned * interval
if tat < now then tat = now end
local fit = math.floor((now + tolerance - tat) / interval)
if fit < 1 or want < 1 then
  if returned > 0 then redis.call('SET', KEYS[1], tat, 'PX', math.max(1, math.ceil((tat - now) / 1000))) end
  return {0, 0, tat - now, tat + interval - tolerance - now}
end
local n = math.min(want, fit)
local new_tat = tat + n * interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {n, fit - n, new_tat - now, 0}
`;
