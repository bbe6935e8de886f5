import type { RedisClient } from './redis-client';
import { decisionFromReply, gcraParams, GCRA_LUA, type RateLimitPolicy, type RateLimitResult } from './policy';

/**
 * GCRA in one Lua call (docs/design.md §6): read the theoretical arrival time, decide,
 * write — atomically, on Redis's own clock (TIME), so instances with drifting clocks
 * share one exact limit. Keys: `<prefix>rl:<key>` (a token's is `rl:tok:<jti>`, the same
 * as the verifier's tokenRateLimitKey). The script touches that one key only, so on a
 * Redis Cluster it runs on the key's own slot and the keys spread over every node; no hash
 * tag is needed (docs/performance.md#redis-cluster).
 */
export class RedisRateLimitStore {
  constructor(
    private readonly redis: RedisClient & {
      gcra?: (key: string, interval: number, tolerance: number) => Promise<unknown>;
    },
    private readonly prefix: string,
  ) {
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_LUA });
  }

  async check(key: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    const { intervalUs, toleranceUs } = gcraParams(policy);
    return decisionFromReply(await this.redis.gcra!(`${this.prefix}rl:${key}`, intervalUs, toleranceUs), policy);
  }
}
