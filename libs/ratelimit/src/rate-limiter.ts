import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { Redis } from 'ioredis';
import { MemoryRateLimitStore } from './memory-store';
import type { RateLimitPolicy, RateLimitResult } from './policy';
import { RedisRateLimitStore } from './redis-store';

/**
 * ioredis settings for a Redis that is a fast path, never a reason to wait: a command
 * fails at once while disconnected (no offline queue) and within 500 ms when Redis hangs,
 * so the caller can fall back (local limits, Postgres) instead of stalling requests.
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  connectTimeout: 1000,
  commandTimeout: 500,
} as const;

/** While Redis is unreachable, each instance enforces this fraction of the limit locally. */
export const FALLBACK_FACTOR = 0.5;

/**
 * The one limiter (docs/design.md §6). Redis when REDIS_URL is set, otherwise the
 * in-process store. When Redis fails, checks continue locally under a stricter limit and
 * an alert is logged once per outage (§8: no 500s because the limiter is down).
 */
@Injectable()
export class RateLimiter implements OnModuleDestroy {
  private readonly log = new Logger('RateLimiter');
  private readonly memory = new MemoryRateLimitStore();
  private readonly redis: Redis | null;
  private readonly redisStore: RedisRateLimitStore | null;
  private degraded = false;

  constructor(@Inject(GATEHOUSE_CONFIG) config: GatehouseConfig) {
    this.redis = config.redisUrl ? new Redis(config.redisUrl, FAIL_FAST_REDIS_OPTIONS) : null;
    this.redis?.on('error', () => undefined);
    this.redisStore = this.redis ? new RedisRateLimitStore(this.redis, config.redisPrefix) : null;
  }

  get usingRedis(): boolean {
    return this.redisStore !== null && !this.degraded;
  }

  async check(key: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    if (!this.redisStore) return this.memory.check(key, policy);
    try {
      const result = await this.redisStore.check(key, policy);
      if (this.degraded) {
        this.degraded = false;
        this.log.warn('Redis is reachable again: rate limits are shared again');
      }
      return result;
    } catch (err) {
      if (!this.degraded) {
        this.degraded = true;
        this.log.error(
          { err: (err as Error).message, alert: 'ratelimit_redis_unreachable' },
          'Redis unreachable: enforcing stricter local rate limits',
        );
      }
      const strict = { ...policy, limit: Math.max(1, Math.floor(policy.limit * FALLBACK_FACTOR)) };
      return this.memory.check(key, strict);
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
