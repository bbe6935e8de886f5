import { Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { newId } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';

export interface ConsentView {
  client_id: string;
  resource: string | null;
  scopes: string[];
  granted_at: string;
}

/**
 * Remembered consent (docs/sign-in.md#consent): per user × client × resource, the scopes the
 * user agreed to. A request is covered when every scope it asks is among them; asking for more
 * shows the page again, and agreeing widens what is remembered.
 */
@Injectable()
export class Consents {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  async covers(userId: string, clientId: string, resource: string | null, scopes: readonly string[]): Promise<boolean> {
    const row = await this.prisma.consent.findUnique({
      where: { userId_clientId_resource: { userId, clientId, resource: resource ?? '' } },
    });
    return row !== null && scopes.every((s) => row.scopes.includes(s));
  }

  async grant(
    tx: Tx,
    meta: RequestMeta,
    c: { orgId: string; userId: string; clientId: string; resource: string | null; scopes: string[] },
  ): Promise<void> {
    const key = { userId: c.userId, clientId: c.clientId, resource: c.resource ?? '' };
    const existing = await tx.consent.findUnique({ where: { userId_clientId_resource: key } });
    const scopes = [...new Set([...(existing?.scopes ?? []), ...c.scopes])];
    await tx.consent.upsert({
      where: { userId_clientId_resource: key },
      create: { id: newId('challenge').replace('chl_', 'cns_'), orgId: c.orgId, ...key, scopes },
      update: { scopes },
    });
    await this.audit.record(tx, meta, {
      action: 'consent.granted',
      outcome: 'success',
      actor: { id: c.userId, tier: 'user' },
      orgId: c.orgId,
      target: { type: 'application', id: c.clientId },
      details: { scopes, ...(c.resource ? { resource: c.resource } : {}) },
    });
  }

  async list(userId: string): Promise<ConsentView[]> {
    const rows = await this.prisma.consent.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
    return rows.map((r) => ({
      client_id: r.clientId,
      resource: r.resource || null,
      scopes: r.scopes,
      granted_at: r.updatedAt.toISOString(),
    }));
  }

  /** Forgets the user's consents to `clientId` (all resources); false when there were none. */
  async revoke(
    meta: RequestMeta,
    actor: { id: string; tier: 'user' | 'admin' },
    user: { id: string; orgId: string },
    clientId: string,
  ): Promise<boolean> {
    return this.prisma.transaction(async (tx) => {
      const { count } = await tx.consent.deleteMany({ where: { userId: user.id, clientId } });
      if (count === 0) return false;
      await this.audit.record(tx, meta, {
        action: 'consent.revoked',
        outcome: 'success',
        actor,
        orgId: user.orgId,
        target: { type: 'application', id: clientId },
        details: { user_id: user.id },
      });
      return true;
    });
  }
}
