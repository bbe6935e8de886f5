import { Injectable } from '@nestjs/common';
import { DEFAULT_CLIENT_REGISTRATION, type CimdPolicy, type ClientRegistrationSettings } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess, type DirectoryActor } from './org-access';

/**
 * An organization's client registration policy (docs/resources.md#client-registration):
 * dynamic client registration on or off, and which Client ID Metadata Documents it accepts.
 * No row means the defaults (DEFAULT_CLIENT_REGISTRATION); a PUT replaces the whole document.
 */
@Injectable()
export class ClientRegistrationService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
  ) {}

  async get(actor: DirectoryActor, orgId: string): Promise<ClientRegistrationSettings> {
    await this.access.resolveFor(actor, orgId);
    const row = await this.prisma.clientRegistrationPolicy.findUnique({ where: { orgId } });
    return row
      ? {
          dynamic_client_registration: { enabled: row.dcrEnabled },
          client_id_metadata_documents: { policy: row.cimdPolicy as CimdPolicy, domains: row.cimdDomains },
        }
      : (structuredClone(DEFAULT_CLIENT_REGISTRATION) as ClientRegistrationSettings);
  }

  async put(
    actor: DirectoryActor,
    meta: RequestMeta,
    orgId: string,
    settings: ClientRegistrationSettings,
  ): Promise<ClientRegistrationSettings> {
    const before = await this.get(actor, orgId);
    const dcr = settings.dynamic_client_registration;
    const cimd = settings.client_id_metadata_documents;
    const domains = [...new Set(cimd.domains)];
    await this.prisma.transaction(async (tx) => {
      const data = { dcrEnabled: dcr.enabled, cimdPolicy: cimd.policy, cimdDomains: domains };
      await tx.clientRegistrationPolicy.upsert({ where: { orgId }, create: { orgId, ...data }, update: data });
      await this.audit.record(tx, meta, {
        action: 'org.client_registration.changed',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'organization', id: orgId },
        details: {
          dynamic_client_registration: dcr.enabled,
          client_id_metadata_documents: cimd.policy,
          domains,
          previous: {
            dynamic_client_registration: before.dynamic_client_registration.enabled,
            client_id_metadata_documents: before.client_id_metadata_documents.policy,
            domains: before.client_id_metadata_documents.domains,
          },
        },
      });
    });
    return {
      dynamic_client_registration: { enabled: dcr.enabled },
      client_id_metadata_documents: { policy: cimd.policy, domains },
    };
  }
}
