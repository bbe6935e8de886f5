import fc from 'fast-check';
import { FALLBACK_FACTOR, fallbackPolicy } from './fallback-policy';
import { MemoryRateLimitStore } from './memory-store';

describe('fallbackPolicy (docs/reliability.md#redis-fallback)', () => {
  it('halves the limit for one worker and divides it among several', () => {
    const p = { name: 'token', limit: 600, windowS: 60 };
    expect(fallbackPolicy(p, 1)).toEqual({ ...p, limit: 300 });
    expect(fallbackPolicy(p, 2)).toEqual({ ...p, limit: 150 });
    expect(fallbackPolicy(p, 8)).toEqual({ ...p, limit: 37 });
  });

  it('lets W workers together allow no more than the fallback share of the shared limit, in any window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 1, max: 64 }),
        (limit, windowS, workers) => {
          const local = fallbackPolicy({ name: 'p', limit, windowS }, workers);
          // A burst over one shared window: each worker's own store, all at the same instant.
          let allowed = 0;
          for (let w = 0; w < workers; w++) {
            const store = new MemoryRateLimitStore();
            for (let i = 0; i <= local.limit; i++) if (store.check('k', local, 0).allowed) allowed++;
          }
          // Instance-wide rate never above FALLBACK_FACTOR × limit / window.
          const rate = allowed / local.windowS;
          return rate <= (limit * FALLBACK_FACTOR) / windowS + 1e-9 && allowed <= Math.max(limit, workers);
        },
      ),
      { seed: 14, numRuns: 300 },
    );
  });
});
