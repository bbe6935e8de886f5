import type { Redis } from 'ioredis';
import { ceilS } from './memory-store';
import { gcraParams, type RateLimitPolicy, type RateLimitResult } from './policy';

/**
 * GCRA in one Lua call (ARCHITECTURE.md §6): read the theoretical arrival time, decide,
 * write — atomically, on Redis's own clock (TIME), so instances with drifting clocks
 * share one exact limit.
 */
const GCRA = `
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

type GcraReply = [number, number, number, number];

export class RedisRateLimitStore {
  constructor(
    private readonly redis: Redis & { gcra?: (key: string, interval: number, tolerance: number) => Promise<GcraReply> },
    private readonly prefix: string,
  ) {
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA });
  }

  async check(key: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    const { intervalUs, toleranceUs } = gcraParams(policy);
    const [allowed, remaining, resetUs, retryUs] = await this.redis.gcra!(
      `${this.prefix}rl:${key}`,
      intervalUs,
      toleranceUs,
    );
    return {
      allowed: allowed === 1,
      remaining,
      resetS: ceilS(resetUs),
      retryAfterS: allowed === 1 ? 0 : Math.max(1, ceilS(retryUs)),
      policy,
    };
  }
}
