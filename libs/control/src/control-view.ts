import { BILLING_TABLE } from './billing-table';
import { toDoc } from './package-map';
import { decide } from './decide';
import type { OrgState } from './org-state';
import { REASONS } from './reasons';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface DecisionView {
  outcome: 'allow' | 'review' | 'deny';
  code?: string;
  message?: string;
  recovery?: string;
}

/** A verdict as the API shows it: the reason's code and its table text. */
export function decisionView(state: OrgState | null, input: Parameters<typeof decide>[1], now: number): DecisionView {
  const v = decide(state, input, now);
  if (v.outcome === 'allow') return { outcome: 'allow' };
  return {
    outcome: v.outcome,
    code: v.reason,
    message: REASONS[v.reason].message,
    recovery: REASONS[v.reason].recovery,
  };
}

/** GET /v1/orgs/{orgId}/control: the whole state, and the decision it implies now. */
export function controlView(s: OrgState, now: number) {
  return {
    org_id: s.orgId,
    // docs/control.md#who-changes-what: what only the operator changes; an org admin asks
    // for a review (POST …/control/review-requests).
    operator_owned: ['contract', 'billing', 'entitlements', 'package_map'],
    contract: {
      status: s.contract.status,
      starts_at: iso(s.contract.startsAt),
      ends_at: iso(s.contract.endsAt),
      contract_read_only: s.contract.readOnly,
    },
    billing: {
      status: s.billing.status,
      grace_days: s.billing.graceDays,
      past_due_since: iso(s.billing.pastDueSince),
      decision_table: BILLING_TABLE,
    },
    entitlements: [...s.entitlements].map(([pkg, e]) => ({
      package: pkg,
      status: e.status,
      expires_at: iso(e.expiresAt),
    })),
    policy: {
      required_version: s.policy.version,
      document_url: s.policy.documentUrl,
      accepted_for_apps: s.policy.accepted.has('apps'),
    },
    pauses: s.pauses.map((p) => ({
      id: p.id,
      target: { type: p.targetType, ...(p.targetId ? { id: p.targetId } : {}) },
      reason: p.reason,
      paused_by: p.pausedBy,
      paused_at: new Date(p.pausedAt).toISOString(),
      imposed_by: p.imposedBy ?? 'org_admin',
    })),
    package_map: toDoc(s.packageMap),
    approval_rules: { actions: [...s.approvalRules.actions], review_last_days: s.approvalRules.reviewLastDays },
    pending_approvals: s.approvals.filter((a) => a.state === 'pending').length,
    // An application that needs no package, reading: what the org's state alone implies.
    decision: decisionView(s, { tier: 'app', subjectId: '', member: true }, now),
    apps: [...s.apps].map(([id, a]) => ({
      client_id: id,
      packages: [...a.packages],
      // Its client-credentials tokens carry all its scopes unless a request narrows them.
      decision: decisionView(s, { tier: 'app', subjectId: id, clientId: id, member: true, scopes: a.scopes }, now),
    })),
  };
}
