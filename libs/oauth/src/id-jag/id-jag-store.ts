import { Injectable } from '@nestjs/common';
import { importClientJwks, type ClientKey } from '@gatehouse/credentials';
import { SqlPool, type SqlTransaction } from '@gatehouse/db';

/** A trusted identity provider of an organization, as the jwt-bearer grant reads it. */
export interface TrustedIssuerRecord {
  id: string;
  issuer: string;
  /** Inline keys, imported; null when they come from `jwksUri`. */
  keys: readonly ClientKey[] | null;
  jwksUri: string | null;
  allowedClients: readonly string[];
}

export interface LocalUser {
  id: string;
  disabled: boolean;
}

/** An ID-JAG audience of an organization, as the identity-provider exchange reads it. */
export interface IdJagAudienceRecord {
  issuer: string;
  clients: readonly { app_id: string; client_id: string }[];
  scopes: readonly string[];
}

/**
 * The protocol side's reads and the one write of ID-JAG (docs/id-jag.md), on node-postgres like
 * the rest of the token endpoint. Every query takes the organization first.
 */
@Injectable()
export class IdJagStore {
  constructor(private readonly sql: SqlPool) {}

  async trustedIssuer(orgId: string, issuer: string): Promise<TrustedIssuerRecord | null> {
    const [row] = await this.sql.query<{
      id: string;
      issuer: string;
      jwks: unknown;
      jwks_uri: string | null;
      allowed_clients: string[];
    }>(`SELECT id, issuer, jwks, jwks_uri, allowed_clients FROM trusted_issuers WHERE org_id = $1 AND issuer = $2`, [
      orgId,
      issuer,
    ]);
    if (!row) return null;
    return {
      id: row.id,
      issuer: row.issuer,
      keys: row.jwks === null ? null : inlineKeys(row.jwks),
      jwksUri: row.jwks_uri,
      allowedClients: row.allowed_clients,
    };
  }

  /** The user (issuer, sub) was linked to in this organization. */
  async linkedUser(orgId: string, issuer: string, subject: string): Promise<LocalUser | null> {
    const [row] = await this.sql.query<LocalUser>(
      `SELECT u.id, u.disabled FROM federated_identities f JOIN users u ON u.id = f.user_id AND u.org_id = f.org_id
        WHERE f.org_id = $1 AND f.issuer = $2 AND f.subject = $3`,
      [orgId, issuer, subject],
    );
    return row ?? null;
  }

  /** The user of this organization with that email (stored lower-case), and whether this issuer knows it by another subject. */
  async userByEmail(
    orgId: string,
    issuer: string,
    email: string,
  ): Promise<(LocalUser & { emailVerified: boolean; linkedSubject: string | null }) | null> {
    const [row] = await this.sql.query<LocalUser & { email_verified: boolean; linked_subject: string | null }>(
      `SELECT u.id, u.disabled, u.email_verified,
              (SELECT f.subject FROM federated_identities f
                WHERE f.org_id = u.org_id AND f.issuer = $2 AND f.user_id = u.id) AS linked_subject
         FROM users u WHERE u.org_id = $1 AND u.email = $3`,
      [orgId, issuer, email.toLowerCase()],
    );
    return row
      ? { id: row.id, disabled: row.disabled, emailVerified: row.email_verified, linkedSubject: row.linked_subject }
      : null;
  }

  /** Records (issuer, sub) → user; false when a concurrent request linked either side first. */
  async link(tx: SqlTransaction, orgId: string, issuer: string, subject: string, userId: string): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO federated_identities (org_id, issuer, subject, user_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [orgId, issuer, subject, userId],
    );
    return rows.length === 1;
  }

  async audience(orgId: string, issuer: string): Promise<IdJagAudienceRecord | null> {
    const [row] = await this.sql.query<IdJagAudienceRecord>(
      `SELECT issuer, clients, scopes FROM id_jag_audiences WHERE org_id = $1 AND issuer = $2`,
      [orgId, issuer],
    );
    return row ?? null;
  }
}

/** A stored set that no longer imports verifies nothing (rather than a 500 for every grant). */
function inlineKeys(jwks: unknown): readonly ClientKey[] {
  try {
    return importClientJwks(jwks, 'inline');
  } catch {
    return [];
  }
}
