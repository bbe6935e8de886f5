import { Injectable } from '@nestjs/common';
import {
  DEFAULT_CLIENT_REGISTRATION,
  Problems,
  type CimdPolicy,
  type ClientRegistrationSettings,
} from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess, type DirectoryActor } from './org-access';

/** A self-registered client as an organization knows it (docs/client-registration.md#blocking). */
export interface ExternalClientView {
  client_id: string;
  kind: 'metadata_document' | 'dynamic';
  client_name: string | null;
  redirect_uris: string[];
  document_hash: string | null;
  first_seen_at: string | null;
  last_seen_at: string | null;
  consented_at: string | null;
  blocked_at: string | null;
  blocked_by: string | null;
}

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
          dynamic_client_registration: { enabled: row.dcrEnabled, confidential_clients: row.dcrAllowConfidential },
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
      const data = {
        dcrEnabled: dcr.enabled,
        dcrAllowConfidential: dcr.confidential_clients,
        cimdPolicy: cimd.policy,
        cimdDomains: domains,
      };
      await tx.clientRegistrationPolicy.upsert({ where: { orgId }, create: { orgId, ...data }, update: data });
      await this.audit.record(tx, meta, {
        action: 'org.client_registration.changed',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'organization', id: orgId },
        details: {
          dynamic_client_registration: dcr.enabled,
          confidential_clients: dcr.confidential_clients,
          client_id_metadata_documents: cimd.policy,
          domains,
          previous: {
            dynamic_client_registration: before.dynamic_client_registration.enabled,
            confidential_clients: before.dynamic_client_registration.confidential_clients,
            client_id_metadata_documents: before.client_id_metadata_documents.policy,
            domains: before.client_id_metadata_documents.domains,
          },
        },
      });
    });
    return {
      dynamic_client_registration: { enabled: dcr.enabled, confidential_clients: dcr.confidential_clients },
      client_id_metadata_documents: { policy: cimd.policy, domains },
    };
  }

  /** The self-registered clients the org has seen, consented to or blocked, most recent first. */
  async listClients(actor: DirectoryActor, orgId: string): Promise<{ items: ExternalClientView[] }> {
    await this.access.resolveFor(actor, orgId);
    const rows = await this.prisma.orgExternalClient.findMany({
      where: { orgId },
      orderBy: [{ lastSeenAt: { sort: 'desc', nulls: 'last' } }, { clientId: 'asc' }],
      take: 500,
    });
    return { items: rows.map(externalView) };
  }

  /**
   * Blocks a self-registered client for this org (it may not have been seen yet): the
   * resolver refuses it before fetching anything. Idempotent.
   */
  async block(actor: DirectoryActor, meta: RequestMeta, orgId: string, clientId: string): Promise<ExternalClientView> {
    await this.access.resolveFor(actor, orgId);
    const kind = clientId.startsWith('dcr_') ? 'dynamic' : 'metadata_document';
    return this.prisma.transaction(async (tx) => {
      const row = await tx.orgExternalClient.upsert({
        where: { orgId_clientId: { orgId, clientId } },
        create: { orgId, clientId, kind, blockedAt: new Date(), blockedBy: actor.id },
        update: { blockedAt: new Date(), blockedBy: actor.id },
      });
      await this.audit.record(tx, meta, {
        action: 'client.blocked',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'client', id: clientId },
      });
      return externalView(row);
    });
  }

  async unblock(
    actor: DirectoryActor,
    meta: RequestMeta,
    orgId: string,
    clientId: string,
  ): Promise<ExternalClientView> {
    await this.access.resolveFor(actor, orgId);
    return this.prisma.transaction(async (tx) => {
      const existing = await tx.orgExternalClient.findUnique({ where: { orgId_clientId: { orgId, clientId } } });
      if (!existing) throw Problems.notFound('client');
      const row = await tx.orgExternalClient.update({
        where: { orgId_clientId: { orgId, clientId } },
        data: { blockedAt: null, blockedBy: null },
      });
      await this.audit.record(tx, meta, {
        action: 'client.unblocked',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'client', id: clientId },
      });
      return externalView(row);
    });
  }
}

function externalView(r: {
  clientId: string;
  kind: string;
  clientName: string | null;
  redirectUris: string[];
  documentHash: string | null;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  consentedAt: Date | null;
  blockedAt: Date | null;
  blockedBy: string | null;
}): ExternalClientView {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    client_id: r.clientId,
    kind: r.kind as ExternalClientView['kind'],
    client_name: r.clientName,
    redirect_uris: r.redirectUris,
    document_hash: r.documentHash,
    first_seen_at: iso(r.firstSeenAt),
    last_seen_at: iso(r.lastSeenAt),
    consented_at: iso(r.consentedAt),
    blocked_at: iso(r.blockedAt),
    blocked_by: r.blockedBy,
  };
}
