import { gcraParams, type RateLimitPolicy, type RateLimitResult } from './policy';

/**
 * GCRA in process memory: embedded mode, and the stricter fallback while Redis is
 * unreachable. Same arithmetic as the Lua script, so results match.
 */
export class MemoryRateLimitStore {
  private readonly tat = new Map<string, number>();
  private sweeps = 0;

  check(key: string, policy: RateLimitPolicy, nowUs = Date.now() * 1000): RateLimitResult {
    const { intervalUs, toleranceUs } = gcraParams(policy);
    const tat = Math.max(this.tat.get(key) ?? 0, nowUs);
    const newTat = tat + intervalUs;
    const allowAt = newTat - toleranceUs;
    if (++this.sweeps % 1000 === 0) this.sweep(nowUs);
    if (nowUs < allowAt) {
      return {
        allowed: false,
        remaining: 0,
        resetS: ceilS(tat - nowUs),
        retryAfterS: Math.max(1, ceilS(allowAt - nowUs)),
        policy,
      };
    }
    this.tat.set(key, newTat);
    return {
      allowed: true,
      remaining: Math.floor((toleranceUs - (newTat - nowUs)) / intervalUs),
      resetS: ceilS(newTat - nowUs),
      retryAfterS: 0,
      policy,
    };
  }

  private sweep(nowUs: number): void {
    for (const [k, v] of this.tat) if (v <= nowUs) this.tat.delete(k);
  }
}

export function ceilS(us: number): number {
  return Math.ceil(us / 1_000_000);
}
