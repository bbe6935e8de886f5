import { Injectable } from '@nestjs/common';
import { newId, ProblemError, Problems, resourceIdentifierProblem } from '@gatehouse/core';
import { isUniqueViolation, PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess, type DirectoryActor } from '../org-access';
import type { Page, PageRequest } from '../pagination';
import { ResourceRepository, type ResourceData, type ResourceScope, type ResourceView } from './resource.repository';

export type CreateResourceInput = Omit<ResourceData, 'token_ttl_s'> & { token_ttl_s?: number | null };
export type UpdateResourceInput = Partial<CreateResourceInput>;

/**
 * Registered resources (docs/resources.md): the rules around the repository's queries. An
 * identifier is checked against the identifier rule once, here, and never changes afterwards
 * (apps name it, tokens carry it); it names one organization across the platform. A resource
 * that apps still name cannot be deleted (409 listing them): a delete that silently narrowed
 * apps would change what their tokens may reach without anyone deciding it.
 */
@Injectable()
export class ResourceService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    private readonly resources: ResourceRepository,
  ) {}

  async create(actor: DirectoryActor, meta: RequestMeta, orgId: string, input: CreateResourceInput) {
    await this.access.resolveFor(actor, orgId);
    const problem = resourceIdentifierProblem(input.identifier);
    if (problem) throw Problems.validation([{ path: 'identifier', message: problem }]);
    requireDistinctScopes(input.scopes);
    const taken = () => Problems.conflict('This identifier is already registered; an identifier names one resource.');
    try {
      return await this.prisma.transaction(async (tx) => {
        // Legacy rows are outside the unique index (docs/resources.md#migration): look first.
        if (await this.resources.identifierTaken(tx, input.identifier)) throw taken();
        const resource = await this.resources.create(tx, orgId, newId('resource'), {
          ...input,
          token_ttl_s: input.token_ttl_s ?? null,
        });
        await this.audit.record(tx, meta, {
          action: 'resource.created',
          outcome: 'success',
          actor,
          orgId,
          target: { type: 'resource', id: resource.id },
          details: {
            identifier: resource.identifier,
            name: resource.name,
            scopes: resource.scopes.map((s) => s.name),
            token_ttl_s: resource.token_ttl_s,
          },
        });
        return resource;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw taken();
      throw err;
    }
  }

  async list(actor: DirectoryActor, orgId: string, page: PageRequest): Promise<Page<ResourceView>> {
    await this.access.resolveFor(actor, orgId);
    return this.resources.list(orgId, page);
  }

  async get(actor: DirectoryActor, orgId: string, id: string): Promise<ResourceView> {
    await this.access.resolveFor(actor, orgId);
    const resource = await this.resources.find(orgId, id);
    if (!resource) throw Problems.notFound('resource');
    return resource;
  }

  async update(actor: DirectoryActor, meta: RequestMeta, orgId: string, id: string, input: UpdateResourceInput) {
    await this.access.resolveFor(actor, orgId);
    if (input.scopes) requireDistinctScopes(input.scopes);
    return this.prisma.transaction(async (tx) => {
      const before = await this.resources.find(orgId, id, tx);
      if (!before) throw Problems.notFound('resource');
      if (input.identifier !== undefined && input.identifier !== before.identifier) {
        throw Problems.validation([
          { path: 'identifier', message: 'cannot change: apps and tokens name it; register a new resource instead' },
        ]);
      }
      const after = await this.resources.update(tx, orgId, id, {
        name: input.name,
        scopes: input.scopes,
        token_ttl_s: input.token_ttl_s,
      });
      if (!after) throw Problems.notFound('resource');
      const names = (list: ResourceScope[]) => list.map((s) => s.name);
      await this.audit.record(tx, meta, {
        action: 'resource.updated',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'resource', id },
        details: {
          identifier: after.identifier,
          changed: Object.keys(input).filter((k) => k !== 'identifier'),
          ...(input.scopes
            ? {
                scopes: {
                  added: names(after.scopes).filter((s) => !names(before.scopes).includes(s)),
                  removed: names(before.scopes).filter((s) => !names(after.scopes).includes(s)),
                },
              }
            : {}),
          ...(input.token_ttl_s !== undefined ? { token_ttl_s: after.token_ttl_s } : {}),
        },
      });
      return after;
    });
  }

  async remove(actor: DirectoryActor, meta: RequestMeta, orgId: string, id: string): Promise<void> {
    await this.access.resolveFor(actor, orgId);
    await this.prisma.transaction(async (tx) => {
      // The row lock waits for app changes that share-locked it, and makes new ones wait for
      // this delete, so the apps read next are every app that names it.
      const locked = await this.resources.lockForDelete(tx, orgId, id);
      if (!locked) throw Problems.notFound('resource');
      const apps = await this.resources.appsNaming(tx, orgId, locked.identifier);
      if (apps.length) {
        throw new ProblemError(409, 'resource_in_use', 'Resource in use', {
          detail: `Applications still name this resource in their audiences (${apps.join(', ')}); remove it from them first.`,
          extra: { applications: apps },
        });
      }
      await this.resources.delete(tx, orgId, id);
      await this.audit.record(tx, meta, {
        action: 'resource.deleted',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'resource', id },
        details: { identifier: locked.identifier },
      });
    });
  }
}

function requireDistinctScopes(scopes: ResourceScope[]): void {
  const seen = new Set<string>();
  const repeated = scopes.find((s) => seen.size === seen.add(s.name).size);
  if (repeated)
    throw Problems.validation([{ path: 'scopes', message: `must not repeat the scope "${repeated.name}"` }]);
}
