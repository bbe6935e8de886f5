import { MemoryRateLimitStore } from './memory-store';
import { rateLimitHeaders } from './policy';

describe('GCRA (memory store)', () => {
  const policy = { name: 'login', limit: 5, windowS: 60 };

  it('allows exactly the limit in a burst, then tells how long to wait', () => {
    const store = new MemoryRateLimitStore();
    const t = 1_000_000_000_000;
    const results = Array.from({ length: 7 }, () => store.check('k', policy, t));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results[4].remaining).toBe(0);
    expect(results[0].remaining).toBe(4);
    expect(results[5].retryAfterS).toBe(12);
    // one emission interval later, exactly one more fits
    expect(store.check('k', policy, t + 12_000_000).allowed).toBe(true);
    expect(store.check('k', policy, t + 12_000_000).allowed).toBe(false);
  });

  it('keeps keys apart and renders the IETF headers', () => {
    const store = new MemoryRateLimitStore();
    store.check('a', policy, 0);
    const r = store.check('b', policy, 0);
    expect(r.remaining).toBe(4);
    expect(rateLimitHeaders(r)).toEqual({ 'RateLimit-Policy': '"login";q=5;w=60', RateLimit: '"login";r=4;t=12' });
  });
});
