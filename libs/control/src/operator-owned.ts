import { ProblemError, type Principal } from '@gatehouse/core';

/** Who changed control state: an administrator (or a user accepting the policy), or the CLI or Stripe. */
export type ControlActor =
  (Pick<Principal, 'id' | 'tier'> & { role?: 'platform' | 'org' }) | { id: string; tier: 'system' };

/** Control state only the operator changes (docs/control.md#who-changes-what). */
export type OperatorOwned = 'contract' | 'billing' | 'entitlements' | 'package_map' | 'pause' | 'review';

/** Who a change is attributed to in its audit row's `details.by`. */
export type ChangedBy = 'platform_admin' | 'org_admin' | 'stripe' | 'cli' | 'user' | 'app';

/**
 * The operator: a platform administrator, or the operator's own tools (the CLI, run with the
 * database's credentials, and the signed Stripe webhook). An org administrator is the tenant
 * that contract, billing and entitlement stops are about, so it is not.
 */
export function isOperator(actor: ControlActor): boolean {
  return actor.tier === 'system' || (actor.tier === 'admin' && 'role' in actor && actor.role === 'platform');
}

export function changedBy(actor: ControlActor): ChangedBy {
  if (actor.tier === 'system') return actor.id === 'stripe' ? 'stripe' : 'cli';
  if (actor.tier === 'admin') return isOperator(actor) ? 'platform_admin' : 'org_admin';
  return actor.tier;
}

const WHAT: Record<OperatorOwned, string> = {
  contract: "The organization's contract",
  billing: "The organization's billing state",
  entitlements: "The organization's entitlements",
  package_map: "The organization's package map",
  pause: 'A pause a platform administrator imposed',
  review: 'A review request to the operator',
};

/** 403 `operator_owned`, saying how to ask for a review instead (docs/control.md#who-changes-what). */
export function operatorOwned(what: OperatorOwned, orgId: string): ProblemError {
  return new ProblemError(403, 'operator_owned', 'Operator-owned state', {
    detail:
      what === 'review'
        ? `${WHAT[what]} is answered only by a platform administrator.`
        : `${WHAT[what]} is changed only by a platform administrator. Ask for a review instead.`,
    extra: {
      owner: 'operator',
      subject: what,
      review: { method: 'POST', path: `/v1/orgs/${orgId}/control/review-requests` },
    },
  });
}
