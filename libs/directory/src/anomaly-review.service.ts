import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { CLOCK, Problems, type Clock, type Principal } from '@gatehouse/core';
import { PrismaService, type Prisma } from '@gatehouse/db';
import { AnomalyDetector, ManagedTokens, type AnomalyThresholds } from '@gatehouse/tokens';
import { OrgAccess } from './org-access';

export interface AnomalyFilter {
  org?: string;
  kind?: string;
  state?: 'open' | 'acknowledged' | 'cleared' | 'revoked';
  limit?: number;
}

/**
 * Anomaly review (docs/managed-tokens.md#anomaly-review): admins list flags (an org admin
 * only its orgs'; flags without an org, such as an administrator's MFA failures, only
 * platform admins), acknowledge them, and clear or revoke what a flag suspended. The
 * thresholds are read by any admin and changed by a platform admin; each org's
 * auto-suspend policy by its admins. Every change is audited.
 */
@Injectable()
export class AnomalyReviewService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    private readonly detector: AnomalyDetector,
    private readonly managed: ManagedTokens,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async list(p: Principal, f: AnomalyFilter) {
    const visible = this.access.visibleOrgIds(p);
    if (f.org && visible && !visible.includes(f.org)) return { items: [] };
    const where: Prisma.AnomalyWhereInput = {
      ...(f.org ? { orgId: f.org } : visible ? { orgId: { in: visible } } : {}),
      ...(f.kind ? { kind: f.kind } : {}),
      ...(f.state ? { state: f.state } : {}),
    };
    const rows = await this.prisma.anomaly.findMany({ where, orderBy: { createdAt: 'desc' }, take: f.limit ?? 100 });
    return { items: rows.map(view) };
  }

  async get(p: Principal, id: string) {
    return view(await this.find(p, id));
  }

  /** `acknowledge` keeps a suspension; `clear` lifts it; `revoke` ends the managed token. */
  async resolve(
    p: Principal,
    meta: RequestMeta,
    id: string,
    to: 'acknowledged' | 'cleared' | 'revoked',
    note?: string,
  ) {
    const a = await this.find(p, id);
    if (a.state === 'cleared' || a.state === 'revoked') throw Problems.conflict(`The anomaly is already ${a.state}.`);
    return this.prisma.transaction(async (tx) => {
      const managedTokenId = a.subjectType === 'managed_token' ? a.subjectId : null;
      if (to === 'cleared' && managedTokenId) await this.managed.suspend(tx, managedTokenId, null);
      if (to === 'revoked') {
        if (!managedTokenId) throw Problems.conflict('Only an anomaly of a managed token can revoke it.');
        await this.managed.end(tx, { id: managedTokenId }, 'anomaly_revoked');
        await this.audit.record(tx, meta, {
          action: 'managed_token.revoked',
          outcome: 'success',
          actor: p,
          orgId: a.orgId,
          target: { type: 'managed_token', id: managedTokenId },
          reason: 'anomaly_revoked',
          details: { anomaly_id: a.id },
        });
      }
      const row = await tx.anomaly.update({
        where: { id: a.id },
        data: { state: to, note: note ?? null, resolvedAt: this.clock.now(), resolvedBy: p.id },
      });
      await this.audit.record(tx, meta, {
        action: to === 'acknowledged' ? 'anomaly.acknowledged' : 'anomaly.cleared',
        outcome: 'success',
        actor: p,
        orgId: a.orgId,
        target: { type: a.subjectType, id: a.subjectId },
        reason: note ?? null,
        details: { anomaly_id: a.id, kind: a.kind, state: to },
      });
      return view(row);
    });
  }

  async settings(p: Principal): Promise<AnomalyThresholds> {
    this.access.visibleOrgIds(p);
    return this.detector.thresholds();
  }

  async changeSettings(p: Principal, meta: RequestMeta, change: Partial<AnomalyThresholds>) {
    this.access.requirePlatformAdmin(p);
    const thresholds = { ...(await this.detector.thresholds()), ...change };
    await this.prisma.transaction(async (tx) => {
      await tx.anomalySettings.upsert({
        where: { id: 'global' },
        create: { id: 'global', thresholds: thresholds as object, updatedAt: this.clock.now() },
        update: { thresholds: thresholds as object, updatedAt: this.clock.now() },
      });
      await this.audit.record(tx, meta, {
        action: 'anomaly.settings_changed',
        outcome: 'success',
        actor: p,
        orgId: null,
        target: { type: 'anomaly_settings', id: 'global' },
        details: { thresholds },
      });
    });
    return thresholds;
  }

  async policy(p: Principal, orgId: string) {
    await this.access.resolve(p, orgId);
    const row = await this.prisma.anomalyPolicy.findUnique({ where: { orgId } });
    return { org_id: orgId, auto_suspend: row?.autoSuspend ?? false };
  }

  async setPolicy(p: Principal, meta: RequestMeta, orgId: string, autoSuspend: boolean) {
    await this.access.resolve(p, orgId);
    await this.prisma.transaction(async (tx) => {
      await tx.anomalyPolicy.upsert({
        where: { orgId },
        create: { orgId, autoSuspend, updatedAt: this.clock.now() },
        update: { autoSuspend, updatedAt: this.clock.now() },
      });
      await this.audit.record(tx, meta, {
        action: 'anomaly.settings_changed',
        outcome: 'success',
        actor: p,
        orgId,
        target: { type: 'organization', id: orgId },
        details: { auto_suspend: autoSuspend },
      });
    });
    return { org_id: orgId, auto_suspend: autoSuspend };
  }

  private async find(p: Principal, id: string) {
    const visible = this.access.visibleOrgIds(p);
    const a = await this.prisma.anomaly.findUnique({ where: { id } });
    if (!a || (visible && (!a.orgId || !visible.includes(a.orgId)))) throw Problems.notFound('anomaly');
    return a;
  }
}

function view(a: {
  id: string;
  orgId: string | null;
  kind: string;
  state: string;
  subjectType: string;
  subjectId: string;
  evidence: unknown;
  auditQuery: string;
  suspended: boolean;
  createdAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  note: string | null;
}) {
  return {
    id: a.id,
    org_id: a.orgId,
    kind: a.kind,
    state: a.state,
    subject: { type: a.subjectType, id: a.subjectId },
    evidence: a.evidence,
    audit_url: a.auditQuery,
    suspended: a.suspended,
    created_at: a.createdAt.toISOString(),
    resolved_at: a.resolvedAt?.toISOString() ?? null,
    resolved_by: a.resolvedBy,
    note: a.note,
  };
}
