import { Injectable } from '@nestjs/common';
import { newId } from '@gatehouse/core';
import { AuditService, NO_REQUEST } from '@gatehouse/audit';
import { PrismaService, SqlPool } from '@gatehouse/db';
import type { DecisionInput } from './decide';

/** How long a pending approval request waits for an operator (docs/control.md#approvals). */
export const APPROVAL_PENDING_S = 24 * 3600;

/**
 * The two writes a decision can make, both on the review path only: opening an approval
 * request, and spending an approved one (once: the UPDATE is the arbiter between racing
 * requests). Plain SQL on the pool, like the rest of the hot path; the triggers notify the
 * control cache at commit.
 */
@Injectable()
export class ApprovalStore {
  constructor(
    private readonly sql: SqlPool,
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  async open(orgId: string, input: DecisionInput, rule: string, decisionId: string): Promise<string> {
    const id = newId('approval');
    await this.sql.query(
      `INSERT INTO approval_requests (id, org_id, decision_id, rule, subject_id, subject_tier, action_name, resource_type, resource_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))`,
      [
        id,
        orgId,
        decisionId,
        rule,
        input.subjectId,
        input.tier,
        input.action?.name ?? '',
        input.resource?.type ?? '',
        input.resource?.id ?? '',
        APPROVAL_PENDING_S,
      ],
    );
    return id;
  }

  /**
   * True when this request spent the approval (with its `approval.used` row, in one
   * transaction); false when another got there first or it lapsed.
   */
  async consume(orgId: string, approvalId: string, input: DecisionInput, decisionId: string): Promise<boolean> {
    return this.prisma.transaction(async (tx) => {
      const rows = await tx.$queryRaw<
        { id: string }[]
      >`UPDATE approval_requests SET state = 'consumed', consumed_at = now()
        WHERE id = ${approvalId} AND org_id = ${orgId} AND state = 'approved' AND use_by > now() RETURNING id`;
      if (rows.length !== 1) return false;
      await this.audit.record(tx, NO_REQUEST, {
        action: 'approval.used',
        outcome: 'success',
        actor: { id: input.subjectId, tier: input.tier },
        orgId,
        target: input.resource?.id ? { type: input.resource.type, id: input.resource.id } : null,
        details: { approval_id: approvalId, decision_id: decisionId, action: input.action?.name ?? null },
      });
      return true;
    });
  }
}
