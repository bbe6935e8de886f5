import { Injectable } from '@nestjs/common';
import { Problems, type Principal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess } from '../org-access';

export interface PasskeyView {
  id: string;
  name: string;
  device_type: string;
  backed_up: boolean;
  transports: string[];
  created_at: string;
  last_used_at: string | null;
}

export function passkeyView(p: {
  id: string;
  name: string;
  deviceType: string;
  backedUp: boolean;
  transports: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
}): PasskeyView {
  return {
    id: p.id,
    name: p.name,
    device_type: p.deviceType,
    backed_up: p.backedUp,
    transports: p.transports,
    created_at: p.createdAt.toISOString(),
    last_used_at: p.lastUsedAt?.toISOString() ?? null,
  };
}

type Owner = { userId: string; orgId: string } | { adminId: string };

/**
 * Passkeys as records (docs/sign-in-experience.md#passkeys): a user's or an administrator's
 * own, under `/v1/me/passkeys`, and a user's as seen by the org's admins (who may delete
 * one, e.g. a lost phone). Another owner's passkey is "not found". Registering is a
 * ceremony of the sign-in layer.
 */
@Injectable()
export class PasskeyService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
  ) {}

  listMine(p: Principal): Promise<PasskeyView[]> {
    return this.list(ownerOf(p));
  }

  async rename(p: Principal, meta: RequestMeta, id: string, name: string): Promise<PasskeyView> {
    const owner = ownerOf(p);
    return this.prisma.transaction(async (tx) => {
      const { count } = await tx.passkey.updateMany({ where: { id, ...owner }, data: { name } });
      if (count === 0) throw Problems.notFound('passkey');
      await this.audit.record(tx, meta, {
        action: 'passkey.renamed',
        outcome: 'success',
        actor: p,
        orgId: 'orgId' in owner ? owner.orgId : null,
        jti: p.jti,
        target: { type: 'passkey', id },
      });
      return passkeyView(await tx.passkey.findUniqueOrThrow({ where: { id } }));
    });
  }

  removeMine(p: Principal, meta: RequestMeta, id: string): Promise<void> {
    return this.remove(p, meta, ownerOf(p), id, 'self');
  }

  async listForUser(p: Principal, orgId: string, userId: string): Promise<PasskeyView[]> {
    await this.access.resolve(p, orgId);
    await this.user(orgId, userId);
    return this.list({ userId, orgId });
  }

  async removeForUser(p: Principal, meta: RequestMeta, orgId: string, userId: string, id: string): Promise<void> {
    await this.access.resolve(p, orgId);
    await this.user(orgId, userId);
    await this.remove(p, meta, { userId, orgId }, id, 'admin');
  }

  private async list(owner: Owner): Promise<PasskeyView[]> {
    const rows = await this.prisma.passkey.findMany({ where: owner, orderBy: { createdAt: 'asc' } });
    return rows.map(passkeyView);
  }

  private async remove(p: Principal, meta: RequestMeta, owner: Owner, id: string, by: 'self' | 'admin') {
    await this.prisma.transaction(async (tx) => {
      const { count } = await tx.passkey.deleteMany({ where: { id, ...owner } });
      if (count === 0) throw Problems.notFound('passkey');
      await this.audit.record(tx, meta, {
        action: 'passkey.deleted',
        outcome: 'success',
        actor: p,
        orgId: 'orgId' in owner ? owner.orgId : null,
        jti: p.jti,
        target: { type: 'passkey', id },
        details: { by, ...('userId' in owner ? { user_id: owner.userId } : { admin_id: owner.adminId }) },
      });
    });
  }

  private async user(orgId: string, userId: string): Promise<void> {
    if (!(await this.prisma.user.findFirst({ where: { id: userId, orgId }, select: { id: true } }))) {
      throw Problems.notFound('user');
    }
  }
}

function ownerOf(p: Principal): Owner {
  if (p.tier === 'admin') return { adminId: p.id };
  if (p.tier === 'user') return { userId: p.id, orgId: p.orgId };
  throw Problems.forbidden('Applications have no passkeys.');
}
