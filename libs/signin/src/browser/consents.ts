import { Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { Problems, newId, type Principal } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import { OrgAccess } from '@gatehouse/directory';

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
    private readonly access: OrgAccess,
  ) {}

  /** What `userId` granted `clientId` for `resource`, in consentNeeded's shape; null: nothing. */
  async granted(
    userId: string,
    clientId: string,
    resource: string | null,
  ): Promise<{ scopes: string[]; resources: (string | null)[] } | null> {
    const row = await this.prisma.consent.findUnique({
      where: { userId_clientId_resource: { userId, clientId, resource: resource ?? '' } },
    });
    return row ? { scopes: row.scopes, resources: [row.resource || null] } : null;
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

  /**
   * An org admin's view of a user's consents (docs/sign-in.md#consent): the caller must reach
   * the org, and a user of another org is "not found".
   */
  async listForUser(actor: Principal, orgId: string, userId: string): Promise<ConsentView[]> {
    await this.access.resolve(actor, orgId);
    await this.userOf(orgId, userId);
    return this.list(userId);
  }

  /** An org admin forgets a user's consent to `clientId`; 404 when there was none. */
  async revokeForUser(actor: Principal, meta: RequestMeta, orgId: string, userId: string, clientId: string) {
    await this.access.resolve(actor, orgId);
    const user = await this.userOf(orgId, userId);
    if (!(await this.revoke(meta, { id: actor.id, tier: actor.tier }, user, clientId))) {
      throw Problems.notFound('consent');
    }
  }

  private async userOf(orgId: string, userId: string): Promise<{ id: string; orgId: string }> {
    const user = await this.prisma.user.findFirst({ where: { id: userId, orgId }, select: { id: true, orgId: true } });
    if (!user) throw Problems.notFound('user');
    return user;
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
    actor: { id: string; tier: Principal['tier'] },
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
