import { Injectable } from '@nestjs/common';
import { newId, type Tier } from '@gatehouse/core';
import { PrismaService, type Tx, type Prisma } from '@gatehouse/db';
import type { AuditAction } from './audit-actions';
import { redact } from './redact';

/** Where a request came from; every audit row carries it. */
export interface RequestMeta {
  requestId: string | null;
  sourceIp: string | null;
}

export const NO_REQUEST: RequestMeta = { requestId: null, sourceIp: null };

export interface AuditEntry {
  action: AuditAction;
  outcome: 'success' | 'failure';
  actor?: { id: string; tier: Tier | 'system' } | null;
  orgId?: string | null;
  target?: { type: string; id: string } | null;
  reason?: string | null;
  jti?: string | null;
  details?: Record<string, unknown>;
}

/**
 * The one writer of audit events. A change and its event are written in the same
 * transaction (pass the `tx`), so no change commits without its row and no row claims a
 * change that rolled back. Details are redacted before they are written.
 */
@Injectable()
export class AuditService {
  constructor(private readonly prisma: PrismaService) {}

  async record(db: Tx | PrismaService, meta: RequestMeta, entry: AuditEntry): Promise<void> {
    await db.auditEvent.create({ data: this.toRow(meta, entry) });
  }

  /** For events that accompany no change (a refused login): written on their own. */
  recordAlone(meta: RequestMeta, entry: AuditEntry): Promise<void> {
    return this.record(this.prisma, meta, entry);
  }

  private toRow(meta: RequestMeta, e: AuditEntry): Prisma.AuditEventCreateInput {
    return {
      id: newId('audit'),
      action: e.action,
      outcome: e.outcome,
      actorId: e.actor?.id ?? null,
      actorTier: e.actor?.tier ?? null,
      orgId: e.orgId ?? null,
      targetType: e.target?.type ?? null,
      targetId: e.target?.id ?? null,
      reason: e.reason ?? null,
      requestId: meta.requestId,
      sourceIp: meta.sourceIp,
      jti: e.jti ?? null,
      details: redact(e.details ?? {}) as Prisma.InputJsonValue,
    };
  }
}
