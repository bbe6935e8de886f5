import { isId, newId } from './ids';

describe('ids', () => {
  it('are prefixed ULIDs, sortable by creation', () => {
    const a = newId('org');
    const b = newId('org');
    expect(a).toMatch(/^org_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
  });

  it('draw the random part evenly over the whole alphabet (pooled randomness)', () => {
    const seen = new Map<string, number>();
    // A new millisecond for every ID, so each gets fresh random characters, not an increment.
    let ms = Date.now();
    const now = jest.spyOn(Date, 'now').mockImplementation(() => ++ms);
    try {
      for (let i = 0; i < 4000; i++) {
        for (const c of newId('token').slice(4 + 10)) seen.set(c, (seen.get(c) ?? 0) + 1);
      }
    } finally {
      now.mockRestore();
    }
    expect(seen.size).toBe(32);
    // 4,000 × 16 characters over 32 symbols: 2,000 each on average.
    for (const n of seen.values()) expect(n).toBeGreaterThan(1500);
  });

  it('isId checks the prefix and the ULID body', () => {
    expect(isId('app', newId('app'))).toBe(true);
    expect(isId('app', newId('user'))).toBe(false);
    expect(isId('app', 'app_123')).toBe(false);
    expect(isId('app', undefined)).toBe(false);
  });
});
