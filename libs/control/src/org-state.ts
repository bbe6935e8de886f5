/** What a decision is made from: one organization's control state, as the cache holds it. */
import { EMPTY_PACKAGE_MAP, type PackageMap } from './package-map';

export const CONTRACT_STATUSES = ['active', 'expired', 'suspended'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

/** Stripe's subscription statuses (docs/control.md#billing). */
export const BILLING_STATUSES = [
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'canceled',
  'incomplete',
  'incomplete_expired',
  'paused',
] as const;
export type BillingStatus = (typeof BILLING_STATUSES)[number];

export const PAUSE_TARGETS = ['org', 'app', 'workflow'] as const;
export type PauseTarget = (typeof PAUSE_TARGETS)[number];

export interface PauseState {
  id: string;
  targetType: PauseTarget;
  targetId: string | null;
  reason: string;
  pausedBy: string;
  pausedAt: number;
  /** `operator` or `org_admin` (docs/control.md#who-changes-what); absent in older fixtures. */
  imposedBy?: string;
}

export interface ApprovalState {
  id: string;
  subjectId: string;
  actionName: string;
  resourceType: string;
  resourceId: string;
  state: 'pending' | 'approved';
  /** A pending request must be decided by then. */
  expiresAt: number;
  /** An approved one must be used by then (once). */
  useBy: number | null;
}

export interface OrgState {
  orgId: string;
  orgName: string;
  contract: { status: ContractStatus; startsAt: number | null; endsAt: number | null; readOnly: boolean };
  billing: { status: BillingStatus; graceDays: number; pastDueSince: number | null };
  policy: { version: string | null; documentUrl: string | null; accepted: ReadonlySet<string> };
  entitlements: ReadonlyMap<string, { status: 'active' | 'inactive'; expiresAt: number | null }>;
  /** Unresumed pauses only. */
  pauses: readonly PauseState[];
  /** The org's applications: id → the packages each needs, and its scopes (what its client-credentials tokens carry). */
  apps: ReadonlyMap<string, { packages: readonly string[]; scopes?: readonly string[] }>;
  /** Scopes and routes that need a package (docs/control.md#package-map). */
  packageMap: PackageMap;
  approvalRules: { actions: readonly string[]; reviewLastDays: number | null };
  /** Pending and approved (unconsumed) requests. */
  approvals: readonly ApprovalState[];
}

/** The subject id under which an org admin's acceptance for all the org's apps is kept. */
export const APPS_ACCEPTANCE = 'apps';

/** A new organization: good standing, nothing required, nothing paused (docs/control.md). */
export function goodStanding(orgId: string, orgName: string): OrgState {
  return {
    orgId,
    orgName,
    contract: { status: 'active', startsAt: null, endsAt: null, readOnly: false },
    billing: { status: 'active', graceDays: 7, pastDueSince: null },
    policy: { version: null, documentUrl: null, accepted: new Set() },
    entitlements: new Map(),
    pauses: [],
    apps: new Map(),
    packageMap: EMPTY_PACKAGE_MAP,
    approvalRules: { actions: [], reviewLastDays: null },
    approvals: [],
  };
}
