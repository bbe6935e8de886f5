import { Injectable } from '@nestjs/common';
import { PrismaService, type Prisma, type Tx } from '@gatehouse/db';
import { pageArgs, toPage, type Page, type PageRequest } from '../pagination';

export interface ResourceScope {
  name: string;
  description: string;
}

/** A registered resource as the management API shows it (docs/resources.md#the-model). */
export interface ResourceView {
  id: string;
  org_id: string;
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  /** Caps the lifetime of every access token for this resource; null: the app's own TTL. */
  token_ttl_s: number | null;
  /** An audience kept from before resources existed (docs/resources.md#migration). */
  legacy: boolean;
  created_at: string;
  updated_at: string;
}

export interface ResourceData {
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  token_ttl_s: number | null;
}

type ResourceRow = Prisma.ResourceGetPayload<object>;

const view = (r: ResourceRow): ResourceView => ({
  id: r.id,
  org_id: r.orgId,
  identifier: r.identifier,
  name: r.name,
  scopes: r.scopes as unknown as ResourceScope[],
  token_ttl_s: r.tokenTtlS,
  legacy: r.legacy,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});

/**
 * The queries of registered resources. Every method that reads or writes an organization's
 * resources takes its id first and puts it in the `where`, so a forgotten condition cannot
 * cross organizations (tenant scoping in one place: the org id is a parameter of the query).
 * Returns domain views, never Prisma rows.
 */
@Injectable()
export class ResourceRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(orgId: string, page: PageRequest): Promise<Page<ResourceView>> {
    const args = pageArgs(page);
    const rows = await this.prisma.resource.findMany({ ...args, where: { ...args.where, orgId } });
    return toPage(rows, page.limit, view);
  }

  async find(orgId: string, id: string, tx: Tx = this.prisma): Promise<ResourceView | null> {
    const row = await tx.resource.findFirst({ where: { id, orgId } });
    return row && view(row);
  }

  async create(tx: Tx, orgId: string, id: string, data: ResourceData): Promise<ResourceView> {
    const row = await tx.resource.create({
      data: {
        id,
        orgId,
        identifier: data.identifier,
        name: data.name,
        scopes: data.scopes as unknown as Prisma.InputJsonValue,
        tokenTtlS: data.token_ttl_s,
      },
    });
    return view(row);
  }

  async update(
    tx: Tx,
    orgId: string,
    id: string,
    data: Partial<Omit<ResourceData, 'identifier'>>,
  ): Promise<ResourceView | null> {
    const { count } = await tx.resource.updateMany({
      where: { id, orgId },
      data: {
        name: data.name,
        scopes: data.scopes as unknown as Prisma.InputJsonValue | undefined,
        tokenTtlS: data.token_ttl_s,
      },
    });
    return count ? this.find(orgId, id, tx) : null;
  }

  /**
   * Locks the resource against concurrent changes of the apps that name it (their update takes
   * a share lock through {@link lockRegistered}) and returns it, or null.
   */
  async lockForDelete(tx: Tx, orgId: string, id: string): Promise<{ identifier: string } | null> {
    const rows = await tx.$queryRaw<{ identifier: string }[]>`
      SELECT identifier FROM resources WHERE id = ${id} AND org_id = ${orgId} FOR UPDATE`;
    return rows[0] ?? null;
  }

  async delete(tx: Tx, orgId: string, id: string): Promise<void> {
    await tx.resource.deleteMany({ where: { id, orgId } });
  }

  /** The org's apps whose `audiences` name `identifier`. */
  async appsNaming(tx: Tx, orgId: string, identifier: string): Promise<string[]> {
    const rows = await tx.application.findMany({
      where: { orgId, audiences: { has: identifier } },
      select: { id: true },
      orderBy: { id: 'asc' },
    });
    return rows.map((r) => r.id);
  }

  /**
   * Which of `identifiers` are registered resources of the org, share-locked until the
   * transaction ends, so a resource an app is being given cannot be deleted under it.
   */
  async lockRegistered(tx: Tx, orgId: string, identifiers: readonly string[]): Promise<Set<string>> {
    if (identifiers.length === 0) return new Set();
    const rows = await tx.$queryRaw<{ identifier: string }[]>`
      SELECT identifier FROM resources WHERE org_id = ${orgId} AND identifier = ANY(${[...identifiers]}::text[])
      FOR SHARE`;
    return new Set(rows.map((r) => r.identifier));
  }

  /** Whether any organization holds `identifier`, legacy rows included. */
  async identifierTaken(tx: Tx, identifier: string): Promise<boolean> {
    return (await tx.resource.count({ where: { identifier } })) > 0;
  }
}
