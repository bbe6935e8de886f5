import { Injectable } from '@nestjs/common';
import { Problems, type Principal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';

export interface OrgRef {
  id: string;
  name: string;
}

/**
 * The operator at the `gatehouse` command: whoever runs it holds the database credentials, so
 * it reaches every organization (its changes are audited with actor `cli`).
 */
export interface SystemActor {
  tier: 'system';
  id: string;
}

export type DirectoryActor = Principal | SystemActor;

/**
 * The one place that decides whether a caller may reach an org (docs/architecture.md#tenant-scoping:
 * one place, deny by default). An org the caller may not see answers "not found",
 * exactly like one that does not exist, so existence never leaks across tenants.
 */
@Injectable()
export class OrgAccess {
  constructor(private readonly prisma: PrismaService) {}

  async resolve(principal: Principal, orgId: string): Promise<OrgRef> {
    if (!canReach(principal, orgId)) throw Problems.notFound('organization');
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { id: true, name: true } });
    if (!org) throw Problems.notFound('organization');
    return org;
  }

  /** {@link resolve} for a caller that may also be the operator's command line. */
  async resolveFor(actor: DirectoryActor, orgId: string): Promise<OrgRef> {
    if (actor.tier !== 'system') return this.resolve(actor, orgId);
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { id: true, name: true } });
    if (!org) throw Problems.notFound('organization');
    return org;
  }

  requirePlatformAdmin(principal: Principal): void {
    if (principal.tier !== 'admin' || principal.role !== 'platform') {
      throw Problems.forbidden('Only platform administrators may do this.');
    }
  }

  /** Org IDs an org admin is limited to; null means "all" (platform admin). */
  visibleOrgIds(principal: Principal): string[] | null {
    if (principal.tier !== 'admin') throw Problems.forbidden('Only administrators use the management API.');
    return principal.role === 'platform' ? null : principal.orgIds;
  }
}

function canReach(principal: Principal, orgId: string): boolean {
  if (principal.tier !== 'admin') return false;
  return principal.role === 'platform' || principal.orgIds.includes(orgId);
}
