import { randomBytes } from 'node:crypto';
import { MemoryRateLimitStore, RedisRateLimitStore, rateLimitHeaders } from '@gatehouse/ratelimit';
import {
  MemoryGcra,
  createTokenRateLimiter,
  rateLimitHeaders as verifierHeaders,
  type VerifiedPrincipal,
} from '@gatehouse/verifier';
import { Redis } from 'ioredis';
import { hasRedis } from './support/gatehouse';

const principal = (jti: string) => ({ jti }) as VerifiedPrincipal;
const policy = { name: 'token', limit: 5, windowS: 60 };

/**
 * libs/verifier carries its own copy of Gatehouse's limiter (it imports nothing internal);
 * these checks keep the two in step: same arithmetic, same key, same headers — so a
 * resource server sharing Gatehouse's Redis and prefix spends one budget per token.
 */
describe('verifier rate limiter = libs/ratelimit', () => {
  it('in memory: the same decisions and headers, step for step', () => {
    const gatehouse = new MemoryRateLimitStore();
    const verifier = new MemoryGcra();
    const t0 = 1_700_000_000_000_000;
    for (const dt of [0, 0, 0, 0, 0, 0, 5_000_000, 12_000_000, 12_000_001, 60_000_000, 61_000_000]) {
      const a = gatehouse.check('k', policy, t0 + dt);
      const b = verifier.check('k', policy, t0 + dt);
      expect(b).toEqual(a);
      expect(verifierHeaders(b)).toEqual(rateLimitHeaders(a));
    }
  });

  (hasRedis() ? describe : describe.skip)('on one Redis', () => {
    let redis: Redis;
    const prefix = `gh:test:${randomBytes(6).toString('hex')}:`;
    beforeAll(() => {
      redis = new Redis(process.env.REDIS_URL!);
    });
    afterAll(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    });

    it('writes the key Gatehouse writes (<prefix>rl:tok:<jti>) and shares one budget with it', async () => {
      const gatehouse = new RedisRateLimitStore(redis, prefix);
      const verifier = createTokenRateLimiter({ redis: process.env.REDIS_URL, prefix, policy });
      try {
        const jti = `jti_${randomBytes(8).toString('hex')}`;
        // Gatehouse's bearer guard counts `tok:<jti>`; the store adds `<prefix>rl:`.
        const results = [];
        for (let i = 0; i < 3; i++) results.push(await gatehouse.check(`tok:${jti}`, policy));
        expect(await redis.exists(`${prefix}rl:tok:${jti}`)).toBe(1);
        for (let i = 0; i < 2; i++) results.push(await verifier.check(principal(jti)));
        expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
          [true, 4],
          [true, 3],
          [true, 2],
          [true, 1],
          [true, 0],
        ]);
        const refusedByVerifier = await verifier.check(principal(jti));
        const refusedByGatehouse = await gatehouse.check(`tok:${jti}`, policy);
        expect(refusedByVerifier.allowed).toBe(false);
        expect(refusedByGatehouse.allowed).toBe(false);
        expect(refusedByVerifier.headers).toEqual(rateLimitHeaders(refusedByGatehouse));
        expect(refusedByVerifier.headers['Retry-After']).toBe('12');
        expect(verifier.shared).toBe(true);
      } finally {
        verifier.close();
      }
    });
  });
});
