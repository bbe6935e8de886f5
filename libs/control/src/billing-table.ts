import type { BillingStatus } from './org-state';

export type BillingVerdict = 'allow' | 'allow_within_grace' | 'deny';

/**
 * The default billing decision table (docs/control.md#billing), readable through
 * GET /v1/orgs/{orgId}/control: which Stripe subscription statuses keep access running.
 * `past_due` keeps it for the org's grace period (default 7 days) from when it began.
 */
export const BILLING_TABLE: Readonly<Record<BillingStatus, BillingVerdict>> = Object.freeze({
  trialing: 'allow',
  active: 'allow',
  past_due: 'allow_within_grace',
  unpaid: 'deny',
  canceled: 'deny',
  incomplete: 'deny',
  incomplete_expired: 'deny',
  paused: 'deny',
});

const DAY_MS = 86_400_000;

/** Whether billing lets requests through at `now`. */
export function billingInGoodStanding(
  b: { status: BillingStatus; graceDays: number; pastDueSince: number | null },
  now: number,
): boolean {
  const verdict = BILLING_TABLE[b.status];
  if (verdict !== 'allow_within_grace') return verdict === 'allow';
  // A past_due with no recorded start began now: the grace period runs from the change.
  const since = b.pastDueSince ?? now;
  return now < since + b.graceDays * DAY_MS;
}
