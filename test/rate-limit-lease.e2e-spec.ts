import { randomBytes } from 'node:crypto';
import { LEASE_MAX, LeasedRateLimitStore, leaseSize, type RateLimitPolicy } from '@gatehouse/ratelimit';
import { Redis } from 'ioredis';
import { hasRedis } from './support/gatehouse';

/**
 * docs/architecture.md#rate-limits, leases: two instances (each its own Redis connection and
 * lease table) share one limit on one Redis. What one admits was taken from Redis's GCRA, so
 * together they never admit more than the limit; what they may refuse early is at most the
 * rest of each other's lease (LEASE_MAX − 1 per instance) until it is given back or expires.
 * A window of an hour keeps the GCRA from refilling during the test.
 */
(hasRedis() ? describe : describe.skip)('leased rate limits, two instances on one Redis', () => {
  const prefix = `gh:test:${randomBytes(6).toString('hex')}:`;
  let redis: Redis[];
  let a: LeasedRateLimitStore;
  let b: LeasedRateLimitStore;
  const big: RateLimitPolicy = { name: 'client', limit: 1280, windowS: 3600 };

  beforeEach(() => {
    redis = [new Redis(process.env.REDIS_URL!), new Redis(process.env.REDIS_URL!)];
    a = new LeasedRateLimitStore(redis[0]!, prefix, LEASE_MAX);
    b = new LeasedRateLimitStore(redis[1]!, prefix, LEASE_MAX);
  });
  afterEach(async () => {
    const keys = await redis[0]!.keys(`${prefix}*`);
    if (keys.length) await redis[0]!.del(...keys);
    for (const r of redis) r.disconnect();
  });

  const admitted = async (store: LeasedRateLimitStore, key: string, policy: RateLimitPolicy, n: number) => {
    let allowed = 0;
    for (let i = 0; i < n; i++) if ((await store.check(key, policy)).allowed) allowed++;
    return allowed;
  };

  it('together never admit more than the limit, and refuse early no more than the other lease', async () => {
    expect(leaseSize(big)).toBe(LEASE_MAX);
    const key = `client:${randomBytes(4).toString('hex')}`;
    // Both hammer the key concurrently, 10 requests in flight each, well past the limit.
    const run = (store: LeasedRateLimitStore) =>
      Promise.all(Array.from({ length: 10 }, () => admitted(store, key, big, 150))).then((xs) =>
        xs.reduce((x, y) => x + y, 0),
      );
    const [fromA, fromB] = await Promise.all([run(a), run(b)]);
    expect(fromA + fromB).toBeLessThanOrEqual(big.limit);
    expect(fromA + fromB).toBeGreaterThanOrEqual(big.limit - 2 * (LEASE_MAX - 1));
    expect(fromA).toBeGreaterThan(0);
    expect(fromB).toBeGreaterThan(0);
  });

  it('a lease given back is admitted by the other instance at once', async () => {
    const key = `client:${randomBytes(4).toString('hex')}`;
    expect((await a.check(key, big)).allowed).toBe(true); // A now holds LEASE_MAX − 1
    expect(await admitted(b, key, big, big.limit)).toBe(big.limit - LEASE_MAX);
    await a.returnAll();
    expect(await admitted(b, key, big, 2 * LEASE_MAX)).toBe(LEASE_MAX - 1);
    expect((await b.check(key, big)).allowed).toBe(false);
  });

  it('asks Redis once per lease, and reports the remaining it would without one', async () => {
    const key = `client:${randomBytes(4).toString('hex')}`;
    const calls = jest.spyOn(redis[0] as unknown as { gcraLease: () => Promise<unknown> }, 'gcraLease');
    const first = await a.check(key, big);
    expect(first).toMatchObject({ allowed: true, remaining: big.limit - 1 });
    const second = await a.check(key, big);
    expect(second).toMatchObject({ allowed: true, remaining: big.limit - 2 });
    await admitted(a, key, big, 4 * LEASE_MAX - 2);
    expect(calls).toHaveBeenCalledTimes(4);
  });

  it('small limits are never leased: every request asks Redis, exact across instances', async () => {
    const small: RateLimitPolicy = { name: 'login-account', limit: 10, windowS: 300 };
    expect(leaseSize(small)).toBe(1);
    const key = `user-login:acct:${randomBytes(4).toString('hex')}`;
    expect((await a.check(key, small)).allowed).toBe(true);
    expect(await admitted(b, key, small, 20)).toBe(small.limit - 1);
    expect((await a.check(key, small)).allowed).toBe(false);
  });
});
