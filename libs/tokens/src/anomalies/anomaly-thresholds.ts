/**
 * The detectors' thresholds (docs/managed-tokens.md#anomaly-review): a flag is raised when a
 * count within `window_s` goes above `limit`. An admin reads them and a platform admin
 * changes them (`/v1/anomalies/settings`).
 */
export interface Threshold {
  limit: number;
  window_s: number;
}

export const ANOMALY_KINDS = [
  'managed_token_addresses',
  'refresh_token_reuse',
  'mfa_failures',
  'refusal_burst',
  'exchange_rate',
] as const;

export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface AnomalyThresholds {
  /** Distinct source addresses exchanging one managed token. */
  managed_token_addresses: Threshold;
  /** Failed MFA attempts of one administrator. */
  mfa_failures: Threshold;
  /** Refusals (access.denied, failed exchanges and refreshes) of one principal. */
  refusal_burst: Threshold;
  /** Exchanges of one managed token. */
  exchange_rate: Threshold;
}

export const DEFAULT_THRESHOLDS: AnomalyThresholds = Object.freeze({
  managed_token_addresses: { limit: 3, window_s: 3600 },
  mfa_failures: { limit: 5, window_s: 900 },
  refusal_burst: { limit: 20, window_s: 300 },
  exchange_rate: { limit: 120, window_s: 60 },
});

/** Stored thresholds over the defaults: a missing or malformed entry keeps its default. */
export function mergeThresholds(stored: unknown): AnomalyThresholds {
  const out: Record<string, Threshold> = { ...DEFAULT_THRESHOLDS };
  if (stored && typeof stored === 'object') {
    for (const key of Object.keys(DEFAULT_THRESHOLDS)) {
      const t = (stored as Record<string, unknown>)[key] as Partial<Threshold> | undefined;
      if (t && Number.isInteger(t.limit) && Number.isInteger(t.window_s) && t.limit! >= 1 && t.window_s! >= 1) {
        out[key] = { limit: t.limit!, window_s: t.window_s! };
      }
    }
  }
  return out as unknown as AnomalyThresholds;
}

/** True when `count` is more than the threshold allows. */
export function exceeds(count: number, t: Threshold): boolean {
  return count > t.limit;
}
