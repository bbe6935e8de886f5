import { DEFAULT_THRESHOLDS, exceeds, mergeThresholds } from './anomaly-thresholds';

describe('anomaly thresholds', () => {
  it('keeps the defaults for anything missing or malformed', () => {
    expect(mergeThresholds(null)).toEqual(DEFAULT_THRESHOLDS);
    const merged = mergeThresholds({
      mfa_failures: { limit: 2, window_s: 60 },
      refusal_burst: { limit: -1, window_s: 5 },
    });
    expect(merged.mfa_failures).toEqual({ limit: 2, window_s: 60 });
    expect(merged.refusal_burst).toEqual(DEFAULT_THRESHOLDS.refusal_burst);
  });

  it('flags only above the limit', () => {
    expect(exceeds(3, { limit: 3, window_s: 1 })).toBe(false);
    expect(exceeds(4, { limit: 3, window_s: 1 })).toBe(true);
  });
});
