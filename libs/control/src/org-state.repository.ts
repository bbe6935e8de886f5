import { Injectable } from '@nestjs/common';
import { SqlPool } from '@gatehouse/db';
import { fromDoc } from './package-map';
import type { ApprovalState, BillingStatus, ContractStatus, OrgState, PauseState, PauseTarget } from './org-state';

interface StateRow {
  id: string;
  name: string;
  control: Record<string, unknown> | null;
  entitlements: { package: string; status: 'active' | 'inactive'; expires_at: string | null }[];
  apps: { id: string; packages: string[] | null; scopes: string[] | null }[];
  accepted: string[];
  pauses: Record<string, string | null>[];
  approvals: Record<string, string | null>[];
}

const ms = (v: unknown): number | null => (typeof v === 'string' ? Date.parse(v) : null);

/**
 * Reads one organization's whole control state in one round trip (the cache's miss path;
 * docs/control.md#live). Pending approvals past their deadline and approved ones past their
 * use-by are left out: they can no longer change a decision.
 */
@Injectable()
export class OrgStateRepository {
  constructor(private readonly sql: SqlPool) {}

  async load(orgId: string): Promise<OrgState | null> {
    const [row] = await this.sql.query<StateRow>(
      `SELECT o.id, o.name,
         (SELECT to_jsonb(c) FROM org_controls c WHERE c.org_id = o.id) AS control,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('package', e.package, 'status', e.status, 'expires_at', e.expires_at))
                     FROM org_entitlements e WHERE e.org_id = o.id), '[]') AS entitlements,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'packages', a.packages, 'scopes', a.scopes))
                     FROM applications a WHERE a.org_id = o.id), '[]') AS apps,
         COALESCE((SELECT jsonb_agg(p.subject_id) FROM policy_acceptances p
                     JOIN org_controls c ON c.org_id = p.org_id AND c.policy_version = p.version
                    WHERE p.org_id = o.id), '[]') AS accepted,
         COALESCE((SELECT jsonb_agg(to_jsonb(g) ORDER BY g.paused_at) FROM governance_pauses g
                    WHERE g.org_id = o.id AND g.resumed_at IS NULL), '[]') AS pauses,
         COALESCE((SELECT jsonb_agg(to_jsonb(r)) FROM approval_requests r
                    WHERE r.org_id = o.id AND ((r.state = 'pending' AND r.expires_at > now())
                       OR (r.state = 'approved' AND r.use_by > now()))), '[]') AS approvals
       FROM organizations o WHERE o.id = $1`,
      [orgId],
    );
    return row ? toState(row) : null;
  }

  /** Membership of a user: its org, and whether it may act. */
  async user(userId: string): Promise<{ orgId: string; disabled: boolean } | null> {
    const [row] = await this.sql.query<{ org_id: string; disabled: boolean }>(
      'SELECT org_id, disabled FROM users WHERE id = $1',
      [userId],
    );
    return row ? { orgId: row.org_id, disabled: row.disabled } : null;
  }
}

function toState(r: StateRow): OrgState {
  const c = r.control ?? {};
  const policyVersion = (c.policy_version as string | null | undefined) ?? null;
  return {
    orgId: r.id,
    orgName: r.name,
    contract: {
      status: (c.contract_status as ContractStatus | undefined) ?? 'active',
      startsAt: ms(c.contract_starts_at),
      endsAt: ms(c.contract_ends_at),
      readOnly: c.contract_read_only === true,
    },
    billing: {
      status: (c.billing_status as BillingStatus | undefined) ?? 'active',
      graceDays: typeof c.billing_grace_days === 'number' ? c.billing_grace_days : 7,
      pastDueSince: ms(c.billing_past_due_since),
    },
    policy: {
      version: policyVersion,
      documentUrl: (c.policy_document_url as string | null | undefined) ?? null,
      accepted: new Set(r.accepted),
    },
    entitlements: new Map(r.entitlements.map((e) => [e.package, { status: e.status, expiresAt: ms(e.expires_at) }])),
    pauses: r.pauses.map((p): PauseState => ({
      id: p.id!,
      targetType: p.target_type as PauseTarget,
      targetId: p.target_id,
      reason: p.reason!,
      pausedBy: p.paused_by!,
      pausedAt: ms(p.paused_at)!,
      imposedBy: p.imposed_by ?? 'org_admin',
    })),
    apps: new Map(r.apps.map((a) => [a.id, { packages: a.packages ?? [], scopes: a.scopes ?? [] }])),
    packageMap: fromDoc(c.package_map),
    approvalRules: {
      actions: (c.approval_actions as string[] | null | undefined) ?? [],
      reviewLastDays: typeof c.review_last_days === 'number' ? c.review_last_days : null,
    },
    approvals: r.approvals.map((a): ApprovalState => ({
      id: a.id!,
      subjectId: a.subject_id!,
      actionName: a.action_name!,
      resourceType: a.resource_type!,
      resourceId: a.resource_id ?? '',
      state: a.state as 'pending' | 'approved',
      expiresAt: ms(a.expires_at)!,
      useBy: ms(a.use_by),
    })),
  };
}
