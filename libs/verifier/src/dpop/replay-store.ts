import { createHash } from 'node:crypto';

/**
 * Where seen proof identifiers are remembered (RFC 9449 §11.1), so that a captured proof
 * cannot be sent again. `firstUse` records `key` for `ttlS` seconds and answers whether it
 * was new; it must be atomic across every process that shares the store.
 */
export interface DpopReplayStore {
  firstUse(key: string, ttlS: number): Promise<boolean>;
}

/**
 * One process's memory: enough for a single instance, not for several behind a load
 * balancer (each would accept a proof once). Bounded: when `maxEntries` unexpired keys are
 * held, the oldest are forgotten first, which lets a proof that old be replayed; size it
 * above the proofs a window can bring.
 *
 * @example
 * ```ts
 * const replay = new MemoryReplayStore({ maxEntries: 100_000 });
 * ```
 */
export class MemoryReplayStore implements DpopReplayStore {
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  firstUse(key: string, ttlS: number): Promise<boolean> {
    return Promise.resolve(this.claim(key, ttlS));
  }

  /** The synchronous form of {@link firstUse}. */
  claim(key: string, ttlS: number, nowMs: number = Date.now()): boolean {
    const until = this.seen.get(key);
    if (until !== undefined && until > nowMs) return false;
    if (until !== undefined) this.seen.delete(key);
    if (this.seen.size >= this.maxEntries) this.evict(nowMs);
    this.seen.set(key, nowMs + ttlS * 1000);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(nowMs: number): void {
    for (const [k, until] of this.seen) if (until <= nowMs) this.seen.delete(k);
    // Still full: forget the oldest insertions (a Map iterates in insertion order).
    const excess = this.seen.size - this.maxEntries + 1;
    if (excess > 0) {
      let n = 0;
      for (const k of this.seen.keys()) {
        if (n++ >= excess) break;
        this.seen.delete(k);
      }
    }
  }
}

/** What the store needs of a Redis client; an `ioredis` instance fits. */
export interface RedisSetLike {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>;
  disconnect?(): void;
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Shared across processes through Redis: `SET <prefix>dpop:<hash> 1 PX <ttl> NX`, one
 * command per proof, atomic. A Redis failure rejects, so the caller decides between
 * refusing the request and a local store.
 *
 * @example
 * ```ts
 * const replay = new RedisReplayStore({ redis: 'redis://127.0.0.1:6379', prefix: 'api:' });
 * ```
 */
export class RedisReplayStore implements DpopReplayStore {
  private client: RedisSetLike | null;
  private connecting: Promise<RedisSetLike> | null = null;
  private readonly prefix: string;

  constructor(private readonly options: { redis: string | RedisSetLike; prefix?: string }) {
    this.prefix = options.prefix ?? '';
    this.client = typeof options.redis === 'string' ? null : options.redis;
  }

  async firstUse(key: string, ttlS: number): Promise<boolean> {
    const redis = this.client ?? (await this.connect());
    const reply = await redis.set(
      `${this.prefix}dpop:${digest(key)}`,
      '1',
      'PX',
      Math.max(1000, Math.ceil(ttlS * 1000)),
      'NX',
    );
    return reply === 'OK';
  }

  close(): void {
    if (typeof this.options.redis === 'string') this.client?.disconnect?.();
  }

  private connect(): Promise<RedisSetLike> {
    this.connecting ??= import('ioredis').then((mod) => {
      const Redis = (mod as unknown as { Redis: new (url: string, opts: object) => RedisSetLike }).Redis;
      const client = new Redis(this.options.redis as string, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        connectTimeout: 1000,
        commandTimeout: 500,
      });
      client.on?.('error', () => undefined);
      this.client = client;
      return client;
    });
    return this.connecting;
  }
}

/** Keys are hashed: a proof's `jti` is whatever the client chose, of any length. */
function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
