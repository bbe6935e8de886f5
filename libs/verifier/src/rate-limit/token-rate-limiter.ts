import { createHash } from 'node:crypto';
import { VerifierError } from '../errors';
import type { VerifiedPrincipal } from '../principal';
import {
  DEFAULT_TOKEN_POLICY,
  GCRA_LUA,
  MemoryGcra,
  decisionFromReply,
  gcraParams,
  rateLimitHeaders,
  tokenRateLimitKey,
  type RateLimitDecision,
  type RateLimitPolicy,
} from './gcra';

/** What the limiter needs of a Redis client; an `ioredis` instance fits. */
export interface RedisLike {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  disconnect?(): void;
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

export interface TokenRateLimiterOptions {
  /**
   * A Redis URL (needs the optional `ioredis` peer dependency) or a client. Without it,
   * counts are kept in this process only.
   */
  redis?: string | RedisLike;
  /**
   * Key prefix. Gatehouse's default is `gh:`: with the same Redis and prefix a token's
   * budget is shared with Gatehouse's own count; use another prefix for a separate budget.
   */
  prefix?: string;
  /** The policy for a principal (default: Gatehouse's 600 a minute, named "token"). */
  policy?: RateLimitPolicy | ((p: VerifiedPrincipal) => RateLimitPolicy);
  /** While Redis is unreachable, each process enforces this fraction of the limit locally. */
  fallbackFactor?: number;
}

/** An allowed request's decision plus the headers to send with the answer. */
export interface RateLimitOutcome extends RateLimitDecision {
  headers: Record<string, string>;
}

/**
 * Per-token limits for a resource server, the way Gatehouse counts its own bearer routes
 * (docs/design.md §6): GCRA keyed by the token's jti, one Lua call per check, the IETF
 * RateLimit fields, 429 with Retry-After. Fails stricter, not open: while Redis is down,
 * half the limit is enforced in process.
 *
 * @example
 * ```ts
 * const limiter = createTokenRateLimiter({ redis: process.env.REDIS_URL });
 * const { headers } = await limiter.enforce(principal); // throws VerifierError 'rate_limited'
 * ```
 */
export class TokenRateLimiter {
  private readonly memory = new MemoryGcra();
  private readonly prefix: string;
  private readonly fallbackFactor: number;
  private readonly sha = createHash('sha1').update(GCRA_LUA).digest('hex');
  private redis: RedisLike | null = null;
  private connecting: Promise<RedisLike> | null = null;
  private degraded = false;

  constructor(private readonly o: TokenRateLimiterOptions = {}) {
    this.prefix = o.prefix ?? 'gh:';
    this.fallbackFactor = o.fallbackFactor ?? 0.5;
    if (o.redis && typeof o.redis !== 'string') this.redis = o.redis;
  }

  /** True while checks go to Redis (false without Redis, or while it is unreachable). */
  get shared(): boolean {
    return Boolean(this.o.redis) && !this.degraded;
  }

  /** Counts one request; never throws because of Redis. */
  async check(p: VerifiedPrincipal): Promise<RateLimitOutcome> {
    const policy = typeof this.o.policy === 'function' ? this.o.policy(p) : (this.o.policy ?? DEFAULT_TOKEN_POLICY);
    const key = tokenRateLimitKey(this.prefix, p.jti);
    let decision: RateLimitDecision;
    if (!this.o.redis) decision = this.memory.check(key, policy);
    else {
      try {
        decision = decisionFromReply(await this.evalGcra(key, policy), policy);
        this.degraded = false;
      } catch {
        this.degraded = true;
        const strict = { ...policy, limit: Math.max(1, Math.floor(policy.limit * this.fallbackFactor)) };
        decision = this.memory.check(key, strict);
      }
    }
    return { ...decision, headers: rateLimitHeaders(decision) };
  }

  /** {@link check}, throwing `rate_limited` (429, Retry-After and RateLimit headers) on a refusal. */
  async enforce(p: VerifiedPrincipal): Promise<RateLimitOutcome> {
    const outcome = await this.check(p);
    if (!outcome.allowed) {
      throw new VerifierError('rate_limited', `Too many requests with this token; retry in ${outcome.retryAfterS} s.`, {
        headers: outcome.headers,
      });
    }
    return outcome;
  }

  close(): void {
    if (typeof this.o.redis === 'string') this.redis?.disconnect?.();
  }

  private async evalGcra(key: string, policy: RateLimitPolicy): Promise<unknown> {
    const redis = this.redis ?? (await this.connect());
    const { intervalUs, toleranceUs } = gcraParams(policy);
    try {
      return await redis.evalsha(this.sha, 1, key, intervalUs, toleranceUs);
    } catch (err) {
      if (!/NOSCRIPT/.test((err as Error).message)) throw err;
      return redis.eval(GCRA_LUA, 1, key, intervalUs, toleranceUs);
    }
  }

  /**
   * Connects on first use. Commands fail fast while Redis is away (no offline queue, so a
   * request never waits on it), so the first one waits for the connection, up to 1 s.
   */
  private connect(): Promise<RedisLike> {
    this.connecting ??= import('ioredis').then(async (mod) => {
      type Client = RedisLike & { once(event: 'ready' | 'error', listener: () => void): unknown };
      const Redis = (mod as unknown as { Redis: new (url: string, opts: object) => Client }).Redis;
      const client = new Redis(this.o.redis as string, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: 1000,
        commandTimeout: 500,
      });
      client.on?.('error', () => undefined);
      await new Promise<void>((resolve) => {
        client.once('ready', resolve);
        client.once('error', resolve);
        setTimeout(resolve, 1000).unref();
      });
      this.redis = client;
      return client;
    });
    return this.connecting;
  }
}

/**
 * A {@link TokenRateLimiter}.
 *
 * @example
 * ```ts
 * const limiter = createTokenRateLimiter({ redis: 'redis://127.0.0.1:6379', prefix: 'gh:' });
 * ```
 */
export function createTokenRateLimiter(options: TokenRateLimiterOptions = {}): TokenRateLimiter {
  return new TokenRateLimiter(options);
}
