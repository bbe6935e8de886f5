import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Problems, type Clock } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { controlView } from './control-view';
import type { BillingStatus, ContractStatus } from './org-state';
import { OrgStateRepository } from './org-state.repository';
import { OfflineStop } from './offline-stop';
import { changedBy, isOperator, operatorOwned, type ControlActor, type OperatorOwned } from './operator-owned';

export interface ContractInput {
  status: ContractStatus;
  starts_at?: Date | null;
  ends_at?: Date | null;
  contract_read_only?: boolean;
  reason?: string;
}

export interface BillingInput {
  status: BillingStatus;
  grace_days?: number;
  reason?: string;
}

export interface EntitlementInput {
  status: 'active' | 'inactive';
  expires_at?: Date | null;
  reason?: string;
}

export type { ControlActor } from './operator-owned';

/**
 * Contract, billing, entitlements and approval rules of one org (docs/control.md). The
 * caller has already placed the org (OrgAccess). Every change is one transaction with its
 * audit row, and the triggers tell every instance's cache at commit. Contract, billing,
 * entitlements and the package map are the operator's (docs/control.md#who-changes-what):
 * an org administrator's change is refused with 403 `operator_owned` and a `failure` row.
 */
@Injectable()
export class ControlService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: OrgStateRepository,
    private readonly audit: AuditService,
    private readonly stop: OfflineStop,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async view(orgId: string) {
    const state = await this.repo.load(orgId);
    if (!state) throw Problems.notFound('organization');
    return controlView(state, this.clock.now().getTime());
  }

  async setContract(actor: ControlActor, meta: RequestMeta, orgId: string, input: ContractInput) {
    await this.requireOperator(actor, meta, orgId, 'contract', 'control.contract.changed', { to: input.status });
    await this.prisma.transaction(async (tx) => {
      const before = await tx.orgControl.findUnique({ where: { orgId } });
      const data = {
        contractStatus: input.status,
        ...(input.starts_at !== undefined ? { contractStartsAt: input.starts_at } : {}),
        ...(input.ends_at !== undefined ? { contractEndsAt: input.ends_at } : {}),
        ...(input.contract_read_only !== undefined ? { contractReadOnly: input.contract_read_only } : {}),
      };
      await tx.orgControl.upsert({ where: { orgId }, create: { orgId, ...data }, update: data });
      await this.stop.sync(tx, orgId);
      await this.record(tx, meta, actor, orgId, 'control.contract.changed', input.reason, {
        from: before?.contractStatus ?? 'active',
        to: input.status,
        starts_at: input.starts_at?.toISOString() ?? null,
        ends_at: input.ends_at?.toISOString() ?? null,
        ...(input.contract_read_only !== undefined ? { contract_read_only: input.contract_read_only } : {}),
      });
    });
    return (await this.view(orgId)).contract;
  }

  async setBilling(actor: ControlActor, meta: RequestMeta, orgId: string, input: BillingInput, tx?: Tx) {
    await this.requireOperator(actor, meta, orgId, 'billing', 'control.billing.changed', { to: input.status });
    const run = async (t: Tx) => {
      const before = await t.orgControl.findUnique({ where: { orgId } });
      const wasPastDue = before?.billingStatus === 'past_due';
      const data = {
        billingStatus: input.status,
        ...(input.grace_days !== undefined ? { billingGraceDays: input.grace_days } : {}),
        // The grace period runs from when the subscription became past_due.
        billingPastDueSince:
          input.status === 'past_due' ? (wasPastDue ? before!.billingPastDueSince : this.clock.now()) : null,
      };
      await t.orgControl.upsert({ where: { orgId }, create: { orgId, ...data }, update: data });
      await this.record(t, meta, actor, orgId, 'control.billing.changed', input.reason, {
        from: before?.billingStatus ?? 'active',
        to: input.status,
        grace_days: input.grace_days ?? before?.billingGraceDays ?? 7,
      });
    };
    if (tx) return run(tx);
    await this.prisma.transaction(run);
    return (await this.view(orgId)).billing;
  }

  async setEntitlement(
    actor: ControlActor,
    meta: RequestMeta,
    orgId: string,
    pkg: string,
    input: EntitlementInput,
    tx?: Tx,
  ) {
    await this.requireOperator(actor, meta, orgId, 'entitlements', 'control.entitlement.changed', {
      package: pkg,
      status: input.status,
    });
    const run = async (t: Tx) => {
      const data = {
        status: input.status,
        expiresAt: input.expires_at ?? null,
        source: actor.tier === 'system' ? actor.id : 'api',
      };
      await t.orgEntitlement.upsert({
        where: { orgId_package: { orgId, package: pkg } },
        create: { orgId, package: pkg, ...data },
        update: data,
      });
      await this.record(t, meta, actor, orgId, 'control.entitlement.changed', input.reason, {
        package: pkg,
        status: input.status,
        expires_at: input.expires_at?.toISOString() ?? null,
      });
    };
    if (tx) return run(tx);
    await this.prisma.transaction(run);
    return { package: pkg, status: input.status, expires_at: input.expires_at?.toISOString() ?? null };
  }

  async removeEntitlement(actor: ControlActor, meta: RequestMeta, orgId: string, pkg: string, reason?: string) {
    await this.requireOperator(actor, meta, orgId, 'entitlements', 'control.entitlement.removed', { package: pkg });
    await this.prisma.transaction(async (tx) => {
      const { count } = await tx.orgEntitlement.deleteMany({ where: { orgId, package: pkg } });
      if (count === 0) throw Problems.notFound('entitlement');
      await this.record(tx, meta, actor, orgId, 'control.entitlement.removed', reason, { package: pkg });
    });
  }

  async setApprovalRules(
    actor: ControlActor,
    meta: RequestMeta,
    orgId: string,
    input: { actions: string[]; review_last_days?: number | null; reason?: string },
  ) {
    await this.prisma.transaction(async (tx) => {
      const data = { approvalActions: input.actions, reviewLastDays: input.review_last_days ?? null };
      await tx.orgControl.upsert({ where: { orgId }, create: { orgId, ...data }, update: data });
      await this.record(tx, meta, actor, orgId, 'control.approval_rules.changed', input.reason, {
        actions: input.actions,
        review_last_days: data.reviewLastDays,
      });
    });
    return (await this.view(orgId)).approval_rules;
  }

  /** Replaces the org's package map (docs/control.md#package-map). */
  async setPackageMap(
    actor: ControlActor,
    meta: RequestMeta,
    orgId: string,
    input: { scopes: Record<string, string>; routes: { route: string; package: string }[]; reason?: string },
  ) {
    await this.requireOperator(actor, meta, orgId, 'package_map', 'control.package_map.changed', {});
    await this.prisma.transaction(async (tx) => {
      const packageMap = { scopes: input.scopes, routes: input.routes };
      await tx.orgControl.upsert({ where: { orgId }, create: { orgId, packageMap }, update: { packageMap } });
      await this.record(tx, meta, actor, orgId, 'control.package_map.changed', input.reason, packageMap);
    });
    return (await this.view(orgId)).package_map;
  }

  /**
   * Refuses a change of operator-owned state by anyone but the operator, with a `failure` row
   * of the change's action naming who tried (docs/control.md#who-changes-what).
   */
  async requireOperator(
    actor: ControlActor,
    meta: RequestMeta,
    orgId: string,
    what: OperatorOwned,
    action: Parameters<AuditService['record']>[2]['action'],
    details: Record<string, unknown>,
  ): Promise<void> {
    if (isOperator(actor)) return;
    await this.audit.recordAlone(meta, {
      action,
      outcome: 'failure',
      actor: { id: actor.id, tier: actor.tier },
      orgId,
      target: { type: 'organization', id: orgId },
      reason: 'operator_owned',
      details: { ...details, by: changedBy(actor) },
    });
    throw operatorOwned(what, orgId);
  }

  record(
    tx: Tx,
    meta: RequestMeta,
    actor: ControlActor,
    orgId: string,
    action: Parameters<AuditService['record']>[2]['action'],
    reason: string | undefined,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(tx, meta, {
      action,
      outcome: 'success',
      actor: { id: actor.id, tier: actor.tier },
      orgId,
      target: { type: 'organization', id: orgId },
      reason: reason ?? null,
      details: { ...details, by: changedBy(actor) },
    });
  }
}
