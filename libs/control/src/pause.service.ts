import { Injectable } from '@nestjs/common';
import { newId, Problems } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import type { RequestMeta } from '@gatehouse/audit';
import { ControlService, type ControlActor } from './control.service';
import { OfflineStop } from './offline-stop';
import { isOperator } from './operator-owned';
import type { PauseTarget } from './org-state';

export interface PauseView {
  id: string;
  target: { type: PauseTarget; id?: string };
  reason: string;
  paused_by: string;
  paused_at: string;
  resumed_by: string | null;
  resumed_at: string | null;
  review_note: string | null;
  /** `operator` or `org_admin`: who may resume it (docs/control.md#who-changes-what). */
  imposed_by: string;
}

interface PauseRow {
  id: string;
  targetType: string;
  targetId: string | null;
  reason: string;
  pausedBy: string;
  pausedAt: Date;
  resumedBy: string | null;
  resumedAt: Date | null;
  reviewNote: string | null;
  imposedBy: string;
}

const view = (p: PauseRow): PauseView => ({
  id: p.id,
  target: { type: p.targetType as PauseTarget, ...(p.targetId ? { id: p.targetId } : {}) },
  reason: p.reason,
  paused_by: p.pausedBy,
  paused_at: p.pausedAt.toISOString(),
  resumed_by: p.resumedBy,
  resumed_at: p.resumedAt?.toISOString() ?? null,
  review_note: p.reviewNote,
  imposed_by: p.imposedBy,
});

/**
 * Governance pauses (docs/control.md#pauses): on the whole org, one app, or one workflow or
 * step name; who paused, why and when. Resuming takes an administrator and a review note; a
 * pause the operator imposed, the operator (docs/control.md#who-changes-what). An org or app
 * pause also reaches offline verifiers (OfflineStop).
 */
@Injectable()
export class PauseService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly control: ControlService,
    private readonly stop: OfflineStop,
  ) {}

  async pause(
    actor: ControlActor,
    meta: RequestMeta,
    orgId: string,
    input: { target: { type: PauseTarget; id?: string }; reason: string },
  ): Promise<PauseView> {
    const { type, id } = input.target;
    if (type !== 'org' && !id)
      throw Problems.validation([{ path: 'target.id', message: `is required for a ${type} pause` }]);
    return this.prisma.transaction(async (tx) => {
      if (type === 'app' && !(await tx.application.findFirst({ where: { id, orgId }, select: { id: true } }))) {
        throw Problems.notFound('application');
      }
      const row = await tx.governancePause.create({
        data: {
          id: newId('pause'),
          orgId,
          targetType: type,
          targetId: type === 'org' ? null : id!,
          reason: input.reason,
          pausedBy: actor.id,
          imposedBy: isOperator(actor) ? 'operator' : 'org_admin',
        },
      });
      await this.stop.sync(tx, orgId);
      await this.control.record(tx, meta, actor, orgId, 'control.paused', input.reason, {
        pause_id: row.id,
        target: view(row).target,
        imposed_by: row.imposedBy,
      });
      return view(row);
    });
  }

  async resume(
    actor: ControlActor,
    meta: RequestMeta,
    orgId: string,
    pauseId: string,
    reviewNote: string,
  ): Promise<PauseView> {
    return this.prisma.transaction(async (tx) => {
      const before = await tx.governancePause.findFirst({ where: { id: pauseId, orgId } });
      if (!before) throw Problems.notFound('pause');
      if (before.resumedAt) throw Problems.conflict('This pause has already been resumed.');
      if (before.imposedBy === 'operator' && !isOperator(actor)) {
        await this.control.requireOperator(actor, meta, orgId, 'pause', 'control.resumed', {
          pause_id: pauseId,
          target: view(before).target,
          imposed_by: before.imposedBy,
        });
      }
      const row = await tx.governancePause.update({
        where: { id: pauseId },
        data: { resumedAt: new Date(), resumedBy: actor.id, reviewNote },
      });
      await this.stop.sync(tx, orgId);
      await this.control.record(tx, meta, actor, orgId, 'control.resumed', reviewNote, {
        pause_id: pauseId,
        target: view(row).target,
        review_note: reviewNote,
        imposed_by: row.imposedBy,
      });
      return view(row);
    });
  }

  async list(orgId: string, active: boolean): Promise<{ data: PauseView[] }> {
    const rows = await this.prisma.governancePause.findMany({
      where: { orgId, ...(active ? { resumedAt: null } : {}) },
      orderBy: { pausedAt: 'desc' },
      take: 200,
    });
    return { data: rows.map(view) };
  }
}
