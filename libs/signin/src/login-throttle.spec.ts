import { backoffSeconds, LOCK_AFTER_FAILURES, LOCK_SECONDS, secondsLocked } from './login-throttle';

describe('admin sign-in back-off and lockout arithmetic', () => {
  it('two failures cost nothing; the third starts a doubling back-off; the fifth locks for 15 minutes', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(backoffSeconds)).toEqual([
      0,
      0,
      0,
      1,
      2,
      LOCK_SECONDS,
      LOCK_SECONDS,
      LOCK_SECONDS,
    ]);
    expect(LOCK_AFTER_FAILURES).toBe(5);
    expect(LOCK_SECONDS).toBe(900);
  });

  it('the back-off never decreases as failures add up', () => {
    for (let n = 0; n < 20; n++) expect(backoffSeconds(n + 1)).toBeGreaterThanOrEqual(backoffSeconds(n));
  });

  it('seconds locked round up and never go negative', () => {
    const now = new Date('2026-12-01T10:00:00.000Z');
    expect(secondsLocked(null, now)).toBe(0);
    expect(secondsLocked(new Date(now.getTime() - 1), now)).toBe(0);
    expect(secondsLocked(new Date(now.getTime() + 1), now)).toBe(1);
    expect(secondsLocked(new Date(now.getTime() + 900_000), now)).toBe(900);
  });
});
