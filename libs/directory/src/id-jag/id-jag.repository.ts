import { Injectable } from '@nestjs/common';
import { PrismaService, type Prisma, type Tx } from '@gatehouse/db';

/** A trusted identity provider as the management API shows it (docs/id-jag.md#trusted-issuers). */
export interface TrustedIssuerView {
  id: string;
  org_id: string;
  issuer: string;
  /** The inline public JWK Set, or null when keys come from `jwks_uri`. */
  jwks: Record<string, unknown> | null;
  jwks_uri: string | null;
  allowed_clients: string[];
  created_at: string;
}

export interface IdJagClientMapping {
  /** An application of this organization. */
  app_id: string;
  /** The `client_id` the same client has at the other authorization server. */
  client_id: string;
}

/** An authorization server this organization's apps may obtain ID-JAGs for (docs/id-jag.md#audiences). */
export interface IdJagAudienceView {
  id: string;
  org_id: string;
  issuer: string;
  clients: IdJagClientMapping[];
  scopes: string[];
  created_at: string;
}

type TrustedIssuerRow = Prisma.TrustedIssuerGetPayload<object>;
type AudienceRow = Prisma.IdJagAudienceGetPayload<object>;

const issuerView = (r: TrustedIssuerRow): TrustedIssuerView => ({
  id: r.id,
  org_id: r.orgId,
  issuer: r.issuer,
  jwks: (r.jwks as Record<string, unknown> | null) ?? null,
  jwks_uri: r.jwksUri,
  allowed_clients: r.allowedClients,
  created_at: r.createdAt.toISOString(),
});

const audienceView = (r: AudienceRow): IdJagAudienceView => ({
  id: r.id,
  org_id: r.orgId,
  issuer: r.issuer,
  clients: r.clients as unknown as IdJagClientMapping[],
  scopes: r.scopes,
  created_at: r.createdAt.toISOString(),
});

/**
 * The queries of the ID-JAG settings of an organization: trusted issuers (Gatehouse as the
 * resource authorization server) and ID-JAG audiences (Gatehouse as the identity provider).
 * Every method takes the org id and puts it in the `where`, so no query crosses organizations.
 */
@Injectable()
export class IdJagRepository {
  constructor(private readonly prisma: PrismaService) {}

  async listIssuers(orgId: string): Promise<TrustedIssuerView[]> {
    const rows = await this.prisma.trustedIssuer.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    return rows.map(issuerView);
  }

  async findIssuer(orgId: string, id: string, tx: Tx = this.prisma): Promise<TrustedIssuerView | null> {
    const row = await tx.trustedIssuer.findFirst({ where: { orgId, id } });
    return row && issuerView(row);
  }

  async createIssuer(
    tx: Tx,
    orgId: string,
    id: string,
    data: { issuer: string; jwks: Record<string, unknown> | null; jwksUri: string | null; allowedClients: string[] },
  ): Promise<TrustedIssuerView> {
    const row = await tx.trustedIssuer.create({
      data: {
        id,
        orgId,
        issuer: data.issuer,
        jwks: data.jwks === null ? undefined : (data.jwks as Prisma.InputJsonValue),
        jwksUri: data.jwksUri,
        allowedClients: data.allowedClients,
      },
    });
    return issuerView(row);
  }

  async deleteIssuer(tx: Tx, orgId: string, id: string): Promise<TrustedIssuerView | null> {
    const row = await tx.trustedIssuer.findFirst({ where: { orgId, id } });
    if (!row) return null;
    await tx.trustedIssuer.deleteMany({ where: { orgId, id } });
    return issuerView(row);
  }

  async listAudiences(orgId: string): Promise<IdJagAudienceView[]> {
    const rows = await this.prisma.idJagAudience.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    return rows.map(audienceView);
  }

  async findAudience(orgId: string, id: string): Promise<IdJagAudienceView | null> {
    const row = await this.prisma.idJagAudience.findFirst({ where: { orgId, id } });
    return row && audienceView(row);
  }

  async createAudience(
    tx: Tx,
    orgId: string,
    id: string,
    data: { issuer: string; clients: IdJagClientMapping[]; scopes: string[] },
  ): Promise<IdJagAudienceView> {
    const row = await tx.idJagAudience.create({
      data: {
        id,
        orgId,
        issuer: data.issuer,
        clients: data.clients as unknown as Prisma.InputJsonValue,
        scopes: data.scopes,
      },
    });
    return audienceView(row);
  }

  async deleteAudience(tx: Tx, orgId: string, id: string): Promise<IdJagAudienceView | null> {
    const row = await tx.idJagAudience.findFirst({ where: { orgId, id } });
    if (!row) return null;
    await tx.idJagAudience.deleteMany({ where: { orgId, id } });
    return audienceView(row);
  }

  /** The ids among `appIds` that are not applications of `orgId`. */
  async foreignApps(orgId: string, appIds: readonly string[]): Promise<string[]> {
    if (appIds.length === 0) return [];
    const rows = await this.prisma.application.findMany({
      where: { orgId, id: { in: [...appIds] } },
      select: { id: true },
    });
    const own = new Set(rows.map((r) => r.id));
    return appIds.filter((id) => !own.has(id));
  }
}
