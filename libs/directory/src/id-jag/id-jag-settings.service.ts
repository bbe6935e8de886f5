import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, newId, Problems, type FieldError, type GatehouseConfig } from '@gatehouse/core';
import { checkClientJwks } from '@gatehouse/credentials';
import { isUniqueViolation, PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { jwksUriProblem } from '../app-client-auth';
import { OrgAccess, type DirectoryActor } from '../org-access';
import {
  IdJagRepository,
  type IdJagAudienceView,
  type IdJagClientMapping,
  type TrustedIssuerView,
} from './id-jag.repository';
import { issuerProblem } from './issuer-url';

export interface CreateTrustedIssuerInput {
  issuer: string;
  jwks?: Record<string, unknown>;
  jwks_uri?: string;
  allowed_clients: string[];
}

export interface CreateIdJagAudienceInput {
  issuer: string;
  clients: IdJagClientMapping[];
  scopes?: string[];
}

/**
 * An organization's ID-JAG settings (docs/id-jag.md):
 * - **trusted issuers**, for Gatehouse as the resource authorization server: identity providers
 *   whose grants the org's apps in `allowed_clients` may present, with the providers' public
 *   keys (inline, or a `jwks_uri` fetched through the guarded fetcher);
 * - **ID-JAG audiences**, for Gatehouse as the identity provider: other authorization servers
 *   the org's apps may obtain grants for, the `client_id` each app has there, and the scopes the
 *   org lets them ask for.
 * Every change is audited in the transaction that makes it; another org's entry is not found.
 */
@Injectable()
export class IdJagSettingsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    private readonly repo: IdJagRepository,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async createIssuer(
    actor: DirectoryActor,
    meta: RequestMeta,
    orgId: string,
    input: CreateTrustedIssuerInput,
  ): Promise<TrustedIssuerView> {
    await this.access.resolveFor(actor, orgId);
    const issues: FieldError[] = [...this.issuerIssues(input.issuer)];
    if ((input.jwks === undefined) === (input.jwks_uri === undefined)) {
      issues.push({ path: 'jwks', message: 'give exactly one of jwks and jwks_uri' });
    }
    if (input.jwks !== undefined) issues.push(...checkClientJwks(input.jwks));
    if (input.jwks_uri !== undefined) {
      const problem = jwksUriProblem(input.jwks_uri, this.config.cimdAllowLoopback);
      if (problem) issues.push({ path: 'jwks_uri', message: problem });
    }
    issues.push(...(await this.appIssues(orgId, input.allowed_clients, 'allowed_clients')));
    if (issues.length) throw Problems.validation(issues);
    try {
      return await this.prisma.transaction(async (tx) => {
        const created = await this.repo.createIssuer(tx, orgId, newId('trustedIssuer'), {
          issuer: input.issuer,
          jwks: input.jwks ?? null,
          jwksUri: input.jwks_uri ?? null,
          allowedClients: input.allowed_clients,
        });
        await this.audit.record(tx, meta, {
          action: 'org.trusted_issuer.added',
          outcome: 'success',
          actor,
          orgId,
          target: { type: 'trusted_issuer', id: created.id },
          details: {
            issuer: created.issuer,
            ...(created.jwks_uri ? { jwks_uri: created.jwks_uri } : { kids: kidsOf(created.jwks) }),
            allowed_clients: created.allowed_clients,
          },
        });
        return created;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problems.conflict('This organization already trusts that issuer.');
      throw err;
    }
  }

  async listIssuers(actor: DirectoryActor, orgId: string): Promise<{ data: TrustedIssuerView[] }> {
    await this.access.resolveFor(actor, orgId);
    return { data: await this.repo.listIssuers(orgId) };
  }

  async getIssuer(actor: DirectoryActor, orgId: string, id: string): Promise<TrustedIssuerView> {
    await this.access.resolveFor(actor, orgId);
    const found = await this.repo.findIssuer(orgId, id);
    if (!found) throw Problems.notFound('trusted issuer');
    return found;
  }

  /** Grants of the issuer stop working at once; tokens already issued live out their minutes. */
  async removeIssuer(actor: DirectoryActor, meta: RequestMeta, orgId: string, id: string): Promise<void> {
    await this.access.resolveFor(actor, orgId);
    await this.prisma.transaction(async (tx) => {
      const removed = await this.repo.deleteIssuer(tx, orgId, id);
      if (!removed) throw Problems.notFound('trusted issuer');
      await this.audit.record(tx, meta, {
        action: 'org.trusted_issuer.removed',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'trusted_issuer', id },
        details: { issuer: removed.issuer },
      });
    });
  }

  async createAudience(
    actor: DirectoryActor,
    meta: RequestMeta,
    orgId: string,
    input: CreateIdJagAudienceInput,
  ): Promise<IdJagAudienceView> {
    await this.access.resolveFor(actor, orgId);
    const issues: FieldError[] = [...this.issuerIssues(input.issuer)];
    const appIds = input.clients.map((c) => c.app_id);
    if (new Set(appIds).size !== appIds.length) issues.push({ path: 'clients', message: 'must not repeat an app_id' });
    issues.push(...(await this.appIssues(orgId, appIds, 'clients')));
    if (issues.length) throw Problems.validation(issues);
    const scopes = [...new Set(input.scopes ?? [])];
    try {
      return await this.prisma.transaction(async (tx) => {
        const created = await this.repo.createAudience(tx, orgId, newId('idJagAudience'), {
          issuer: input.issuer,
          clients: input.clients.map((c) => ({ app_id: c.app_id, client_id: c.client_id })),
          scopes,
        });
        await this.audit.record(tx, meta, {
          action: 'org.id_jag_audience.added',
          outcome: 'success',
          actor,
          orgId,
          target: { type: 'id_jag_audience', id: created.id },
          details: { issuer: created.issuer, clients: created.clients, scopes: created.scopes },
        });
        return created;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problems.conflict('This organization already allows that audience.');
      throw err;
    }
  }

  async listAudiences(actor: DirectoryActor, orgId: string): Promise<{ data: IdJagAudienceView[] }> {
    await this.access.resolveFor(actor, orgId);
    return { data: await this.repo.listAudiences(orgId) };
  }

  async getAudience(actor: DirectoryActor, orgId: string, id: string): Promise<IdJagAudienceView> {
    await this.access.resolveFor(actor, orgId);
    const found = await this.repo.findAudience(orgId, id);
    if (!found) throw Problems.notFound('ID-JAG audience');
    return found;
  }

  async removeAudience(actor: DirectoryActor, meta: RequestMeta, orgId: string, id: string): Promise<void> {
    await this.access.resolveFor(actor, orgId);
    await this.prisma.transaction(async (tx) => {
      const removed = await this.repo.deleteAudience(tx, orgId, id);
      if (!removed) throw Problems.notFound('ID-JAG audience');
      await this.audit.record(tx, meta, {
        action: 'org.id_jag_audience.removed',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'id_jag_audience', id },
        details: { issuer: removed.issuer },
      });
    });
  }

  private issuerIssues(issuer: string): FieldError[] {
    const problem = issuerProblem(issuer, {
      allowLoopback: this.config.cimdAllowLoopback,
      ownIssuer: this.config.issuer,
    });
    return problem ? [{ path: 'issuer', message: problem }] : [];
  }

  /** Applications named must be this organization's (another org's app is not one). */
  private async appIssues(orgId: string, appIds: readonly string[], path: string): Promise<FieldError[]> {
    const foreign = await this.repo.foreignApps(orgId, appIds);
    return foreign.map((id) => ({
      path: `${path}[${appIds.indexOf(id)}]`,
      message: `"${id}" is not an application of this organization`,
    }));
  }
}

function kidsOf(jwks: Record<string, unknown> | null): (string | null)[] {
  const keys = (jwks?.keys as { kid?: unknown }[] | undefined) ?? [];
  return keys.map((k) => (typeof k.kid === 'string' ? k.kid : null));
}
