import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { createRedisClient, type RedisClient } from '@gatehouse/ratelimit';

export interface ReadinessReport {
  /** degraded: Redis is down; Gatehouse keeps serving with local limits (docs/design.md §8). */
  status: 'ready' | 'degraded' | 'unavailable';
  checks: { postgres: 'ok' | 'down'; redis: 'ok' | 'down' | 'not_configured' };
}

/**
 * /readyz: can this instance serve? Postgres down → 503; Redis down → 200 "degraded" (the
 * service keeps answering under local limits). Each check is bounded so a hung dependency
 * answers "down" instead of hanging the probe.
 */
@Injectable()
export class ReadinessService implements OnModuleDestroy {
  private readonly redis: RedisClient | null;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(GATEHOUSE_CONFIG) config: GatehouseConfig,
  ) {
    this.redis = createRedisClient(config, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 1000,
    });
    this.redis?.on('error', () => undefined);
    void this.redis?.connect().catch(() => undefined);
  }

  async check(): Promise<ReadinessReport> {
    const [postgres, redis] = await Promise.all([
      within(this.prisma.$queryRaw`SELECT 1`).then(
        () => 'ok' as const,
        () => 'down' as const,
      ),
      this.redis
        ? within(this.redis.ping()).then(
            () => 'ok' as const,
            () => 'down' as const,
          )
        : ('not_configured' as const),
    ]);
    const status = postgres !== 'ok' ? 'unavailable' : redis === 'down' ? 'degraded' : 'ready';
    return { status, checks: { postgres, redis } };
  }

  async onModuleDestroy(): Promise<void> {
    this.redis?.disconnect();
  }
}

function within<T>(p: Promise<T>, ms = 1500): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}
