import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { errorCode, GATEHOUSE_CONFIG, runDetached, type GatehouseConfig } from '@gatehouse/core';
import cluster from 'node:cluster';
import { fallbackPolicy } from './fallback-policy';
import { MemoryRateLimitStore } from './memory-store';
import type { RateLimitPolicy, RateLimitResult } from './policy';
import { RedisCircuit } from './redis-circuit';
import { createRedisClient, type RedisClient } from './redis-client';
import { LEASE_MAX } from './lease';
import { LeasedRateLimitStore } from './leased-store';

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

/**
 * The one limiter (docs/design.md §6). Redis when REDIS_URL is set, otherwise the
 * in-process store. When Redis fails, checks continue locally under a stricter limit
 * (fallbackPolicy: the instance's share divided among its workers) and an alert is logged
 * once per outage (§8: no 500s because the limiter is down). A circuit breaker stops
 * requests from waiting on a Redis that failed; a background probe closes it again
 * (docs/reliability.md#redis-hung).
 */
@Injectable()
export class RateLimiter implements OnModuleDestroy {
  private readonly log = new Logger('RateLimiter');
  private readonly memory = new MemoryRateLimitStore();
  private readonly redis: RedisClient | null;
  private readonly redisStore: LeasedRateLimitStore | null;
  private readonly circuit: RedisCircuit | null;
  /** Processes counting on their own while Redis is down: this instance's workers. */
  private readonly workers: number;

  constructor(@Inject(GATEHOUSE_CONFIG) config: GatehouseConfig) {
    this.workers = cluster.isWorker ? config.workers : 1;
    this.redis = createRedisClient(config, FAIL_FAST_REDIS_OPTIONS);
    this.redis?.on('error', () => undefined);
    // Large limits are leased a few requests at a time (docs/architecture.md#rate-limits).
    this.redisStore = this.redis ? new LeasedRateLimitStore(this.redis, config.redisPrefix, LEASE_MAX) : null;
    this.circuit = this.redis
      ? runDetached(
          () =>
            new RedisCircuit(this.redis!, {
              onOpen: (err) =>
                this.log.error(
                  {
                    event: 'ratelimit_redis_unreachable',
                    alert: 'ratelimit_redis_unreachable',
                    error_code: errorCode(err),
                    fallback_workers: this.workers,
                  },
                  'Redis unreachable: enforcing stricter local rate limits',
                ),
              onClose: (downMs) =>
                this.log.warn(
                  { event: 'ratelimit_redis_recovered', down_ms: downMs },
                  'Redis is reachable again: rate limits are shared again',
                ),
            }),
        )
      : null;
  }

  get usingRedis(): boolean {
    return this.redisStore !== null && !this.circuit!.isOpen;
  }

  async check(key: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    if (!this.redisStore) return this.memory.check(key, policy);
    try {
      return await this.circuit!.run(() => this.redisStore!.check(key, policy));
    } catch {
      return this.memory.check(key, fallbackPolicy(policy, this.workers));
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.circuit?.dispose();
    // Unspent leases go back, so other processes may admit them at once.
    if (this.redisStore && !this.circuit!.isOpen) await this.redisStore.returnAll().catch(() => undefined);
    this.redis?.disconnect();
  }
}
