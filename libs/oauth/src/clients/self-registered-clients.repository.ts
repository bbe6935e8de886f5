import { Injectable } from '@nestjs/common';
import { DEFAULT_CLIENT_REGISTRATION, type CimdPolicy, type ClientRegistrationSettings } from '@gatehouse/core';
import { PrismaService, type Prisma, type Tx } from '@gatehouse/db';
import type { DynamicAuthMethod } from './registration-request';

/** An organization's policy as the protocol side reads it (docs/resources.md#client-registration). */
export interface OrgClientPolicy {
  dcrEnabled: boolean;
  dcrAllowConfidential: boolean;
  cimd: ClientRegistrationSettings['client_id_metadata_documents'];
}

export interface DynamicClientRow {
  id: string;
  clientName: string;
  applicationType: 'web' | 'native';
  redirectUris: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: DynamicAuthMethod;
  metadata: Record<string, unknown>;
  secretHash: string | null;
  registrationTokenHash: string;
  createdAt: Date;
  lastUsedAt: Date;
}

export interface SeenClient {
  kind: 'metadata_document' | 'dynamic';
  clientName: string;
  redirectUris: string[];
  documentHash: string | null;
}

/**
 * The rows of self-registered clients (docs/client-registration.md): dynamic registrations,
 * and what each organization knows of a self-registered client (seen, consented, blocked).
 * Every per-organization query takes the org id.
 */
@Injectable()
export class SelfRegisteredClients {
  constructor(private readonly prisma: PrismaService) {}

  async policy(orgId: string): Promise<OrgClientPolicy> {
    const row = await this.prisma.clientRegistrationPolicy.findUnique({ where: { orgId } });
    if (!row) {
      return {
        dcrEnabled: DEFAULT_CLIENT_REGISTRATION.dynamic_client_registration.enabled,
        dcrAllowConfidential: false,
        cimd: { ...DEFAULT_CLIENT_REGISTRATION.client_id_metadata_documents, domains: [] },
      };
    }
    return {
      dcrEnabled: row.dcrEnabled,
      dcrAllowConfidential: row.dcrAllowConfidential,
      cimd: { policy: row.cimdPolicy as CimdPolicy, domains: row.cimdDomains },
    };
  }

  /** Whether any organization takes dynamic registrations, and any confidential ones. */
  async registrationOpen(): Promise<{ open: boolean; confidential: boolean }> {
    const [open, confidential] = await Promise.all([
      this.prisma.clientRegistrationPolicy.count({ where: { dcrEnabled: true }, take: 1 }),
      this.prisma.clientRegistrationPolicy.count({ where: { dcrEnabled: true, dcrAllowConfidential: true }, take: 1 }),
    ]);
    return { open: open > 0, confidential: confidential > 0 };
  }

  async blocked(orgId: string, clientId: string): Promise<boolean> {
    const row = await this.prisma.orgExternalClient.findUnique({
      where: { orgId_clientId: { orgId, clientId } },
      select: { blockedAt: true },
    });
    return Boolean(row?.blockedAt);
  }

  /** Records that `orgId` resolved the client now (first and last seen, what it looked like). */
  async seen(db: Tx | PrismaService, orgId: string, clientId: string, c: SeenClient, now: Date): Promise<void> {
    const data = {
      kind: c.kind,
      clientName: c.clientName,
      redirectUris: c.redirectUris,
      documentHash: c.documentHash,
      lastSeenAt: now,
    };
    await db.orgExternalClient.upsert({
      where: { orgId_clientId: { orgId, clientId } },
      create: { orgId, clientId, ...data, firstSeenAt: now },
      update: data,
    });
  }

  async consented(orgId: string, clientId: string, now: Date): Promise<void> {
    await this.prisma.orgExternalClient.updateMany({ where: { orgId, clientId }, data: { consentedAt: now } });
  }

  async dynamicClient(id: string): Promise<DynamicClientRow | null> {
    return (await this.prisma.dynamicClient.findUnique({ where: { id } })) as DynamicClientRow | null;
  }

  async createDynamic(
    tx: Tx,
    row: Omit<DynamicClientRow, 'createdAt' | 'lastUsedAt'> & { registeredFrom: string | null; now: Date },
  ): Promise<void> {
    const { now, metadata, ...data } = row;
    // JSON checked by parseRegistrationRequest (strings, lists, a JWK set).
    await tx.dynamicClient.create({
      data: { ...data, metadata: metadata as Prisma.InputJsonObject, createdAt: now, lastUsedAt: now },
    });
  }

  /** Moves `last_used_at` forward, at most once an hour per client (the expiry clock, not an activity log). */
  async touchDynamic(id: string, now: Date): Promise<void> {
    await this.prisma.dynamicClient.updateMany({
      where: { id, lastUsedAt: { lt: new Date(now.getTime() - 3600_000) } },
      data: { lastUsedAt: now },
    });
  }

  /** Deletes a dynamic client; its per-org rows go too, except blocks. True when it existed. */
  async deleteDynamic(tx: Tx, id: string): Promise<boolean> {
    const { count } = await tx.dynamicClient.deleteMany({ where: { id } });
    await tx.orgExternalClient.deleteMany({ where: { clientId: id, blockedAt: null } });
    return count > 0;
  }

  /** Up to `limit` dynamic clients unused since `before`. */
  async unusedSince(before: Date, limit: number): Promise<string[]> {
    const rows = await this.prisma.dynamicClient.findMany({
      where: { lastUsedAt: { lt: before } },
      select: { id: true },
      take: limit,
      orderBy: { lastUsedAt: 'asc' },
    });
    return rows.map((r) => r.id);
  }
}
