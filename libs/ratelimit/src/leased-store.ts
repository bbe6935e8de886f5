import { gcraParams, ceilS, type RateLimitPolicy, type RateLimitResult } from './policy';
import { LEASE_LUA, LEASE_TTL_MS, leaseSize } from './lease';
import type { RedisClient } from './redis-client';
import { RedisRateLimitStore } from './redis-store';

interface Lease {
  /** Requests of the lease not admitted yet. */
  left: number;
  /** The key's remaining at Redis right after the lease was granted. */
  remaining: number;
  resetUs: number;
  grantedAt: number;
  expiresAt: number;
  intervalUs: number;
  toleranceUs: number;
}

type LeaseCommand = (
  key: string,
  interval: number,
  tolerance: number,
  want: number,
  returned: number,
) => Promise<unknown>;

/**
 * The Redis limiter with leased allowance (docs/architecture.md#rate-limits): a key whose
 * limit is large enough to share takes up to `leaseSize` requests from Redis in one round
 * trip and admits them from memory for at most LEASE_TTL_MS; what is left then goes back
 * with the next lease. Concurrent checks of one key wait for one lease request. Small
 * limits, and any process with `max` 1, ask Redis for every request (RedisRateLimitStore).
 */
export class LeasedRateLimitStore {
  private readonly leases = new Map<string, Lease>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly exact: RedisRateLimitStore;
  private readonly lease: LeaseCommand;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {
    this.exact = new RedisRateLimitStore(redis, prefix);
    this.redis.defineCommand('gcraLease', { numberOfKeys: 1, lua: LEASE_LUA });
    // Looked up at each call (not bound here), so a test can count the round trips.
    this.lease = (...args) => (this.redis as unknown as { gcraLease: LeaseCommand }).gcraLease(...args);
  }

  async check(key: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    const size = leaseSize(policy, this.max);
    if (size <= 1) return this.exact.check(key, policy);
    for (;;) {
      const held = this.leases.get(key);
      const now = this.now();
      if (held && held.left > 0 && now < held.expiresAt) {
        held.left--;
        const spentUs = (now - held.grantedAt) * 1000;
        return {
          allowed: true,
          remaining: held.remaining + held.left,
          resetS: ceilS(Math.max(0, held.resetUs - spentUs)),
          retryAfterS: 0,
          policy,
        };
      }
      const pending = this.inFlight.get(key);
      if (pending) {
        await pending;
        continue;
      }
      const refused = await this.renew(key, policy, size);
      if (refused) return refused;
    }
  }

  /** Gives back every unspent lease (shutdown): other processes may use it at once. */
  async returnAll(): Promise<void> {
    const held = [...this.leases.entries()].filter(([, l]) => l.left > 0);
    this.leases.clear();
    await Promise.allSettled(
      held.map(([key, l]) => this.lease(`${this.prefix}rl:${key}`, l.intervalUs, l.toleranceUs, 0, l.left)),
    );
  }

  /** Asks Redis for a new lease (returning the old one's rest); a refusal's decision, or null once a lease is held. */
  private async renew(key: string, policy: RateLimitPolicy, size: number): Promise<RateLimitResult | null> {
    // An expired lease's rest goes back with the new request (same policy: a key has one).
    const old = this.leases.get(key);
    const returned = old ? old.left : 0;
    const { intervalUs, toleranceUs } = gcraParams(policy);
    let refused: RateLimitResult | null = null;
    const work = (async () => {
      this.leases.delete(key);
      const reply = (await this.lease(`${this.prefix}rl:${key}`, intervalUs, toleranceUs, size, returned)) as number[];
      const [granted, remaining, resetUs, retryUs] = reply.map(Number);
      const at = this.now();
      if (granted < 1) {
        refused = {
          allowed: false,
          remaining: 0,
          resetS: ceilS(resetUs),
          retryAfterS: Math.max(1, ceilS(retryUs)),
          policy,
        };
        return;
      }
      this.leases.set(key, {
        left: granted,
        remaining,
        resetUs,
        grantedAt: at,
        expiresAt: at + LEASE_TTL_MS,
        intervalUs,
        toleranceUs,
      });
      if (this.leases.size > 10_000) this.sweep(at);
    })();
    this.inFlight.set(key, work);
    try {
      await work;
    } finally {
      this.inFlight.delete(key);
    }
    return refused;
  }

  /** Drops expired leases (their rest is lost to this process and returns to the key as time passes). */
  private sweep(now: number): void {
    for (const [k, l] of this.leases) if (now >= l.expiresAt) this.leases.delete(k);
  }
}
