import type { Redis } from 'ioredis';
import { decisionFromReply, gcraParams, GCRA_LUA, type RateLimitPolicy, type RateLimitResult } from './policy';

/**
 * GCRA in one Lua call (docs/design.md §6): read the theoretical arrival time, decide,
 * write — atomically, on Redis's own clock (TIME), so instances with drifting clocks
 * share one exact limit. Keys: `<prefix>rl:<key>` (a token's is `rl:tok:<jti>`, the same
 * as the verifier's tokenRateLimitKey).
 */
export class RedisRateLimitStore {
  constructor(
    private readonly redis: Redis & { gcra?: (key: string, interval: number, tolerance: number) => Promise<unknown> },
    private readonly prefix: string,
  ) {
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_LUA });
  }

  async check(key: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    const { intervalUs, toleranceUs } = gcraParams(policy);
    return decisionFromReply(await this.redis.gcra!(`${this.prefix}rl:${key}`, intervalUs, toleranceUs), policy);
  }
}
