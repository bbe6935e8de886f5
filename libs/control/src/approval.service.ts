import { Injectable } from '@nestjs/common';
import { newId, Problems, type Principal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import type { RequestMeta } from '@gatehouse/audit';
import { ControlService } from './control.service';
import { isOperator, type OperatorOwned } from './operator-owned';

/** How long an approved request may be used (once) unless the operator says otherwise. */
export const APPROVAL_USE_S = 600;

/** The rule of an org admin's request for the operator to review operator-owned state. */
export const OPERATOR_REVIEW_RULE = 'operator_review';

/** How long such a request waits for the operator (docs/control.md#who-changes-what). */
export const OPERATOR_REVIEW_PENDING_S = 7 * 24 * 3600;

export interface ReviewRequestInput {
  subject: Exclude<OperatorOwned, 'review'>;
  /** The package (entitlements) or the pause (`pau_…`) the request is about. */
  id?: string;
  note: string;
}

interface ApprovalRow {
  id: string;
  decisionId: string;
  rule: string;
  subjectId: string;
  subjectTier: string;
  actionName: string;
  resourceType: string;
  resourceId: string;
  state: string;
  requestedAt: Date;
  expiresAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  note: string | null;
  useBy: Date | null;
  consumedAt: Date | null;
}

const view = (a: ApprovalRow, now: Date) => ({
  id: a.id,
  decision_id: a.decisionId,
  rule: a.rule,
  subject: { tier: a.subjectTier, id: a.subjectId },
  action: a.actionName,
  resource: { type: a.resourceType, ...(a.resourceId ? { id: a.resourceId } : {}) },
  // A pending request past its deadline, or an approval past its use-by, has lapsed.
  state:
    (a.state === 'pending' && a.expiresAt <= now) || (a.state === 'approved' && a.useBy !== null && a.useBy <= now)
      ? 'expired'
      : a.state,
  requested_at: a.requestedAt.toISOString(),
  expires_at: a.expiresAt.toISOString(),
  decided_by: a.decidedBy,
  decided_at: a.decidedAt?.toISOString() ?? null,
  note: a.note,
  use_by: a.useBy?.toISOString() ?? null,
  used_at: a.consumedAt?.toISOString() ?? null,
});

/**
 * Approval requests (docs/control.md#approvals): opened by a review decision, listed,
 * approved or rejected by an operator with a note. An approved one lets its request
 * through once, for that subject, action and resource, until `use_by`.
 */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly control: ControlService,
  ) {}

  async list(orgId: string, state?: string) {
    const now = new Date();
    const where =
      state === 'pending'
        ? { state: 'pending', expiresAt: { gt: now } }
        : state === 'expired'
          ? {
              OR: [
                { state: 'pending', expiresAt: { lte: now } },
                { state: 'approved', useBy: { lte: now } },
              ],
            }
          : state
            ? { state }
            : {};
    const rows = await this.prisma.approvalRequest.findMany({
      where: { orgId, ...where },
      orderBy: { requestedAt: 'desc' },
      take: 200,
    });
    return { data: rows.map((r) => view(r, now)) };
  }

  /**
   * An org administrator asks the operator to review operator-owned state
   * (docs/control.md#who-changes-what): an approval request (rule `operator_review`) that the
   * operator sees among the org's approvals and answers; the answer changes no state by
   * itself — the operator changes it, as always, through the API.
   */
  async requestReview(actor: Principal, meta: RequestMeta, orgId: string, input: ReviewRequestInput) {
    return this.prisma.transaction(async (tx) => {
      if (input.subject === 'pause') {
        const pause = input.id
          ? await tx.governancePause.findFirst({ where: { id: input.id, orgId, resumedAt: null } })
          : null;
        if (!pause) throw Problems.notFound('pause');
      }
      const now = new Date();
      const row = await tx.approvalRequest.create({
        data: {
          id: newId('approval'),
          orgId,
          decisionId: newId('decision'),
          rule: OPERATOR_REVIEW_RULE,
          subjectId: actor.id,
          subjectTier: actor.tier,
          actionName: 'control.review',
          resourceType: input.subject,
          resourceId: input.id ?? '',
          requestedAt: now,
          expiresAt: new Date(now.getTime() + OPERATOR_REVIEW_PENDING_S * 1000),
          note: input.note,
        },
      });
      await this.control.record(tx, meta, actor, orgId, 'control.review_requested', input.note, {
        approval_id: row.id,
        subject: input.subject,
        ...(input.id ? { id: input.id } : {}),
      });
      return view(row, now);
    });
  }

  async decide(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    id: string,
    verdict: 'approve' | 'reject',
    input: { note: string; valid_for_s?: number },
  ) {
    return this.prisma.transaction(async (tx) => {
      const now = new Date();
      const before = await tx.approvalRequest.findFirst({ where: { id, orgId } });
      if (!before) throw Problems.notFound('approval request');
      if (before.rule === OPERATOR_REVIEW_RULE && !isOperator(actor)) {
        await this.control.requireOperator(
          actor,
          meta,
          orgId,
          'review',
          verdict === 'approve' ? 'approval.approved' : 'approval.rejected',
          {
            approval_id: id,
          },
        );
      }
      if (before.state !== 'pending') throw Problems.conflict(`This approval request is already ${before.state}.`);
      if (before.expiresAt <= now)
        throw Problems.conflict('This approval request has expired; the action must be requested again.');
      const approved = verdict === 'approve';
      const row = await tx.approvalRequest.update({
        where: { id },
        data: {
          state: approved ? 'approved' : 'rejected',
          decidedBy: actor.id,
          decidedAt: now,
          note: input.note,
          useBy: approved ? new Date(now.getTime() + (input.valid_for_s ?? APPROVAL_USE_S) * 1000) : null,
        },
      });
      await this.control.record(
        tx,
        meta,
        actor,
        orgId,
        approved ? 'approval.approved' : 'approval.rejected',
        input.note,
        {
          approval_id: id,
          decision_id: before.decisionId,
          action: before.actionName,
          subject_id: before.subjectId,
          ...(approved ? { use_by: row.useBy!.toISOString() } : {}),
        },
      );
      return view(row, now);
    });
  }
}
