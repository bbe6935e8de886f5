import { Injectable } from '@nestjs/common';
import { newId, Problems, type Principal } from '@gatehouse/core';
import { isUniqueViolation, PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess } from './org-access';
import { pageArgs, searchWhere, toPage, type Page, type PageRequest } from './pagination';

export interface OrgView {
  id: string;
  name: string;
  display_name: string;
  created_at: string;
  updated_at: string;
}

interface OrgRow {
  id: string;
  name: string;
  displayName: string;
  createdAt: Date;
  updatedAt: Date;
}

const view = (o: OrgRow): OrgView => ({
  id: o.id,
  name: o.name,
  display_name: o.displayName,
  created_at: o.createdAt.toISOString(),
  updated_at: o.updatedAt.toISOString(),
});

@Injectable()
export class OrgService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Principal, meta: RequestMeta, input: { name: string; display_name: string }): Promise<OrgView> {
    this.access.requirePlatformAdmin(actor);
    try {
      return await this.prisma.transaction(async (tx) => {
        const org = await tx.organization.create({
          data: { id: newId('org'), name: input.name, displayName: input.display_name },
        });
        await this.audit.record(tx, meta, {
          action: 'org.created',
          outcome: 'success',
          actor,
          orgId: org.id,
          target: { type: 'organization', id: org.id },
          details: { name: org.name },
        });
        return view(org);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problems.conflict(`An organization named "${input.name}" already exists.`);
      throw err;
    }
  }

  async list(actor: Principal, page: PageRequest): Promise<Page<OrgView>> {
    const visible = this.access.visibleOrgIds(actor);
    const args = pageArgs(page);
    const search = searchWhere(page.q, ['name', 'displayName']);
    const rows = await this.prisma.organization.findMany({
      ...args,
      where: {
        ...args.where,
        ...(visible ? { id: { ...args.where?.id, in: visible } } : {}),
        ...(search ? { AND: [search] } : {}),
      },
    });
    return toPage(rows, page.limit, view);
  }

  async get(actor: Principal, orgId: string): Promise<OrgView> {
    await this.access.resolve(actor, orgId);
    const org = await this.prisma.organization.findUnique({ where: { id: orgId } });
    if (!org) throw Problems.notFound('organization');
    return view(org);
  }

  async update(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    input: { name?: string; display_name?: string },
  ): Promise<OrgView> {
    await this.access.resolve(actor, orgId);
    if (input.name !== undefined) this.access.requirePlatformAdmin(actor);
    try {
      return await this.prisma.transaction(async (tx) => {
        const org = await tx.organization.update({
          where: { id: orgId },
          data: { name: input.name, displayName: input.display_name },
        });
        await this.audit.record(tx, meta, {
          action: 'org.updated',
          outcome: 'success',
          actor,
          orgId,
          target: { type: 'organization', id: orgId },
          details: { changed: Object.keys(input) },
        });
        return view(org);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problems.conflict(`An organization named "${input.name}" already exists.`);
      throw err;
    }
  }

  /**
   * Deleting an org removes its apps, users and memberships (FK cascade). Their tokens die
   * with them: the bearer guard resolves every token's principal from live state.
   */
  async remove(actor: Principal, meta: RequestMeta, orgId: string): Promise<void> {
    await this.access.resolve(actor, orgId);
    this.access.requirePlatformAdmin(actor);
    await this.prisma.transaction(async (tx) => {
      const counts = {
        apps: await tx.application.count({ where: { orgId } }),
        users: await tx.user.count({ where: { orgId } }),
      };
      // A concurrent DELETE that committed first leaves nothing to delete: 404, not 500.
      const { count } = await tx.organization.deleteMany({ where: { id: orgId } });
      if (count === 0) throw Problems.notFound('organization');
      await this.audit.record(tx, meta, {
        action: 'org.deleted',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'organization', id: orgId },
        details: counts,
      });
    });
  }
}
