import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { errorCode, GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { MemoryReplayStore, type DpopReplayStore } from '@gatehouse/verifier';
import { FAIL_FAST_REDIS_OPTIONS } from './rate-limiter';
import { RedisCircuit } from './redis-circuit';
import { createRedisClient, type RedisClient } from './redis-client';

/** Entries the in-process store holds at most (docs/client-authentication.md#replay-caches). */
export const REPLAY_MEMORY_ENTRIES = 200_000;

/**
 * One-time identifiers (a client assertion's `jti`, a DPoP proof's `jti`) remembered until
 * they expire, so a captured one cannot be presented again (RFC 7523 §3 item 7, RFC 9449
 * §11.1). With Redis: `SET <prefix>rp:<sha256(key)> 1 PX <ttl> NX`, one atomic command,
 * shared by every instance. Without Redis, or while it is unreachable (behind the same
 * circuit breaker as the limiter, docs/reliability.md#redis-hung), this process's bounded
 * memory: a replay to this instance is still refused; one to another instance during an
 * outage is not, the stated limit of failing over rather than refusing every client.
 */
@Injectable()
export class ReplayCache implements DpopReplayStore, OnModuleDestroy {
  private readonly log = new Logger('ReplayCache');
  private readonly memory = new MemoryReplayStore({ maxEntries: REPLAY_MEMORY_ENTRIES });
  private readonly redis: RedisClient | null;
  private readonly circuit: RedisCircuit | null;
  private readonly prefix: string;

  constructor(@Inject(GATEHOUSE_CONFIG) config: GatehouseConfig) {
    this.prefix = `${config.redisPrefix}rp:`;
    this.redis = createRedisClient(config, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true });
    this.redis?.on('error', () => undefined);
    this.circuit = this.redis
      ? new RedisCircuit(this.redis, {
          onOpen: (err) =>
            this.log.warn(
              { event: 'replay_cache_redis_unreachable', error_code: errorCode(err) },
              'Redis unreachable: one-time identifiers are remembered in this process only',
            ),
          onClose: (downMs) =>
            this.log.warn({ event: 'replay_cache_redis_recovered', down_ms: downMs }, 'Replay cache back on Redis'),
        })
      : null;
  }

  /** True the first time `key` is seen within `ttlS` seconds; false for a replay. */
  async firstUse(key: string, ttlS: number): Promise<boolean> {
    if (!this.redis) return this.memory.claim(key, ttlS);
    const redisKey = `${this.prefix}${createHash('sha256').update(key).digest('base64url')}`;
    const ttlMs = Math.max(1000, Math.ceil(ttlS * 1000));
    try {
      const reply = await this.circuit!.run((r) => r.set(redisKey, '1', 'PX', ttlMs, 'NX'));
      return reply === 'OK';
    } catch {
      return this.memory.claim(key, ttlS);
    }
  }

  onModuleDestroy(): void {
    this.circuit?.dispose();
    this.redis?.disconnect();
  }
}
