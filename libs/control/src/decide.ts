import type { Tier } from '@gatehouse/core';
import { billingInGoodStanding } from './billing-table';
import { APPS_ACCEPTANCE, type ApprovalState, type OrgState } from './org-state';
import { mappedPackages, routeOf } from './package-map';
import type { ReasonCode } from './reasons';

/** What the engine needs to know about one request, besides the org's state. */
export interface DecisionInput {
  tier: Tier;
  subjectId: string;
  /** The application the request comes through (app tokens: itself; user tokens: the client). */
  clientId?: string;
  /** False when the subject is not a live member of the org (unknown, disabled, another org's). */
  member: boolean;
  step?: string;
  actors?: readonly string[];
  action?: { name: string; write: boolean };
  resource?: { type: string; id?: string };
  /** Packages the resource itself needs (AuthZEN `resource.properties.package`). */
  packages?: readonly string[];
  /** The scopes the token carries or is being issued with (the package map's scopes apply). */
  scopes?: readonly string[];
  /** A workflow name from the request context (AuthZEN `context.workflow`). */
  workflow?: string;
}

export type Verdict =
  | { outcome: 'allow'; consume?: string; inputs: Record<string, unknown> }
  | {
      outcome: 'deny' | 'review';
      reason: ReasonCode;
      /** For a review: the pending request to point at, or null to open a new one. */
      approvalId?: string | null;
      inputs: Record<string, unknown>;
    };

/** Routes that are the recovery path of a reason stay open while it holds. */
const POLICY_RECOVERY_ACTIONS = new Set(['POST /v1/me/policy-acceptances']);
const DAY_MS = 86_400_000;

/**
 * The decision (docs/control.md#decisions), a pure function of the org's state, the
 * request and the time. The checks run in a fixed order and the first that fails names
 * the reason: membership → governance pause → contract → billing → entitlement → policy →
 * approval rules. Administrators are not governed by an org's state: they are the ones who
 * restore it. `state` null means the org does not exist.
 */
export function decide(state: OrgState | null, input: DecisionInput, now: number): Verdict {
  if (input.tier === 'admin') return { outcome: 'allow', inputs: {} };
  if (!state || !input.member) {
    return deny('org_membership_missing', { org_known: state !== null, member: input.member });
  }
  const pause = activePause(state, input);
  if (pause) {
    return deny('governance_paused', {
      pause_id: pause.id,
      target: { type: pause.targetType, ...(pause.targetId ? { id: pause.targetId } : {}) },
      paused_by: pause.pausedBy,
      paused_at: new Date(pause.pausedAt).toISOString(),
      pause_reason: pause.reason,
    });
  }
  const c = state.contract;
  if (!contractInForce(c, now)) {
    const write = input.action?.write ?? false;
    if (!c.readOnly || write) {
      return deny('contract_inactive', {
        contract_status: c.status,
        ends_at: c.endsAt === null ? null : new Date(c.endsAt).toISOString(),
        read_only: c.readOnly,
        ...(input.action ? { write } : {}),
      });
    }
  }
  if (!billingInGoodStanding(state.billing, now)) {
    return deny('billing_not_in_good_standing', {
      billing_status: state.billing.status,
      grace_days: state.billing.graceDays,
      past_due_since: state.billing.pastDueSince === null ? null : new Date(state.billing.pastDueSince).toISOString(),
    });
  }
  const missing = missingPackage(state, input, now);
  if (missing) return deny('entitlement_not_granted', missing);
  const { version } = state.policy;
  if (version !== null && !POLICY_RECOVERY_ACTIONS.has(input.action?.name ?? '')) {
    const who = input.tier === 'user' ? input.subjectId : APPS_ACCEPTANCE;
    if (!state.policy.accepted.has(who)) {
      return deny('policy_not_accepted', {
        required_version: version,
        document_url: state.policy.documentUrl,
        accepted_by: who === APPS_ACCEPTANCE ? 'org_admin_for_apps' : 'user',
      });
    }
  }
  return approvalRule(state, input, now);
}

function deny(reason: ReasonCode, inputs: Record<string, unknown>): Verdict {
  return { outcome: 'deny', reason, inputs };
}

/** A contract runs from `startsAt` to `endsAt`; past its end it counts as expired whatever its status says. */
export function contractInForce(c: OrgState['contract'], now: number): boolean {
  if (c.status !== 'active') return false;
  if (c.startsAt !== null && now < c.startsAt) return false;
  return c.endsAt === null || now < c.endsAt;
}

function activePause(state: OrgState, input: DecisionInput) {
  const apps = new Set([input.clientId, input.tier === 'app' ? input.subjectId : undefined, ...(input.actors ?? [])]);
  return state.pauses.find((p) => {
    switch (p.targetType) {
      case 'org':
        return true;
      case 'app':
        return p.targetId !== null && apps.has(p.targetId);
      case 'workflow':
        return p.targetId !== null && (p.targetId === input.step || p.targetId === input.workflow);
    }
  });
}

function missingPackage(state: OrgState, input: DecisionInput, now: number): Record<string, unknown> | null {
  const appId = input.tier === 'app' ? input.subjectId : input.clientId;
  const needed: { package: string; required_by: Record<string, string> }[] = [
    ...(appId ? (state.apps.get(appId)?.packages ?? []) : []).map((p) => ({
      package: p,
      required_by: { app: appId! },
    })),
    ...(input.packages ?? []).map((p) => ({
      package: p,
      required_by: { resource: input.resource?.type ?? 'resource' },
    })),
    ...mappedPackages(state.packageMap, input.scopes, routeOf(input.action, input.resource)),
  ];
  for (const { package: pkg, required_by } of needed) {
    const e = state.entitlements.get(pkg);
    const live = e && e.status === 'active' && (e.expiresAt === null || now < e.expiresAt);
    if (!live) {
      return {
        package: pkg,
        required_by,
        entitlement: e
          ? { status: e.status, expires_at: e.expiresAt === null ? null : new Date(e.expiresAt).toISOString() }
          : null,
      };
    }
  }
  return null;
}

/**
 * Review (docs/control.md#approvals): an action the org marks approval-required, or a write
 * by an app in the contract's last `reviewLastDays` days, runs only with an approved,
 * unused, unexpired approval for that subject, action and resource — consumed by this
 * request. Without one it goes to review, pointing at the pending request if there is one.
 */
function approvalRule(state: OrgState, input: DecisionInput, now: number): Verdict {
  const action = input.action;
  if (!action) return { outcome: 'allow', inputs: {} };
  const rule = reviewRule(state, input, now);
  if (!rule) return { outcome: 'allow', inputs: {} };
  const matching = state.approvals.filter((a) => sameRequest(a, input));
  const approved = matching.find((a) => a.state === 'approved' && a.useBy !== null && now < a.useBy);
  const inputs = { rule, action: action.name, resource: input.resource ?? null };
  if (approved) return { outcome: 'allow', consume: approved.id, inputs: { ...inputs, approval_id: approved.id } };
  const pending = matching.find((a) => a.state === 'pending' && now < a.expiresAt);
  return { outcome: 'review', reason: 'approval_required', approvalId: pending?.id ?? null, inputs };
}

export function reviewRule(state: OrgState, input: DecisionInput, now: number): string | null {
  const action = input.action;
  if (!action) return null;
  if (state.approvalRules.actions.includes(action.name)) return 'approval_required_action';
  const days = state.approvalRules.reviewLastDays;
  const end = state.contract.endsAt;
  if (days !== null && end !== null && input.tier === 'app' && action.write && end - now <= days * DAY_MS) {
    return 'contract_last_days_write';
  }
  return null;
}

export function sameRequest(a: ApprovalState, input: DecisionInput): boolean {
  return (
    a.subjectId === input.subjectId &&
    a.actionName === input.action?.name &&
    a.resourceType === (input.resource?.type ?? '') &&
    a.resourceId === (input.resource?.id ?? '')
  );
}
