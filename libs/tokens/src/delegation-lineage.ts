import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SqlPool, type SqlTransaction, type Tx } from '@gatehouse/db';
import { KeyChanges } from '@gatehouse/keys';
import { RevocationMirror } from './revocation-mirror';

/** A step token and the token it was exchanged from, as the lineage keeps them. */
export interface LineageEntry {
  jti: string;
  parentJti: string;
  kid: string;
  clientId: string;
  orgId: string;
  issuedAt: Date;
  expiresAt: Date;
  parentKid: string;
  parentClientId: string | null;
  parentIssuedAt: Date;
}

/** Descendants of the seed rows (`seeds` yields jtis), transitively, still alive. */
const DESCENDANTS = (seeds: string) => `
  WITH RECURSIVE d(jti, expires_at, client_id) AS (
    SELECT l.jti, l.expires_at, l.client_id FROM token_lineage l WHERE l.parent_jti IN (${seeds})
    UNION
    SELECT l.jti, l.expires_at, l.client_id FROM token_lineage l JOIN d ON l.parent_jti = d.jti
  )`;

/**
 * The delegation lineage (docs/architecture.md#token-exchange): every exchanged token and
 * its parent, so a revocation kills every descendant at once. Revoking a token by jti, a
 * "valid after" mark on an app (revoke-all, disablement, deletion) and an emergency key
 * revocation each list, by jti in `revoked_tokens`, every live token exchanged from what they
 * kill — and from those, transitively — in the same statement or transaction. So Gatehouse,
 * every other instance and every offline verifier (whose feed carries revoked jtis) agree
 * for chains of any depth, while each check still reads only a token's own jti and its
 * parent's (revocation-rule.ts). Marks on a user or an org need no cascade: every token of a
 * chain carries the same `sub` and `org_id`.
 */
@Injectable()
export class DelegationLineage implements OnModuleInit {
  constructor(
    private readonly sql: SqlPool,
    private readonly mirror: RevocationMirror,
    private readonly keys: KeyChanges,
  ) {}

  onModuleInit(): void {
    this.keys.onRevoked((kid) => this.cascadeFromKey(kid));
  }

  /** The row of a token just minted for `client` from `parent`: one shape for every exchange. */
  recordIssued(
    tx: SqlTransaction,
    minted: { jti: string; kid: string; claims: { iat: number; exp: number } },
    client: { id: string; orgId: string },
    parent: { jti: string; kid: string; clientId: string | null; issuedAt: Date },
  ): Promise<void> {
    return this.record(tx, {
      jti: minted.jti,
      parentJti: parent.jti,
      kid: minted.kid,
      clientId: client.id,
      orgId: client.orgId,
      issuedAt: new Date(minted.claims.iat * 1000),
      expiresAt: new Date(minted.claims.exp * 1000),
      parentKid: parent.kid,
      parentClientId: parent.clientId,
      parentIssuedAt: parent.issuedAt,
    });
  }

  async record(tx: SqlTransaction, e: LineageEntry): Promise<void> {
    await tx.query(
      `INSERT INTO token_lineage
         (jti, parent_jti, kid, client_id, org_id, issued_at, expires_at, parent_kid, parent_client_id, parent_issued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        e.jti,
        e.parentJti,
        e.kid,
        e.clientId,
        e.orgId,
        e.issuedAt,
        e.expiresAt,
        e.parentKid,
        e.parentClientId,
        e.parentIssuedAt,
      ],
      'gatehouse_lineage_insert',
    );
  }

  /** Revokes `jti` itself and everything exchanged from it, in one statement. */
  async revokeWithDescendants(jti: string, expiresAt: Date, clientId: string | null): Promise<void> {
    const rows = await this.sql.query<{ jti: string; expires_at: Date }>(
      `${DESCENDANTS('$1')}
       INSERT INTO revoked_tokens (jti, expires_at, client_id)
       SELECT $1, $2::timestamptz, $3 UNION ALL SELECT jti, expires_at, client_id FROM d WHERE expires_at > now()
       ON CONFLICT (jti) DO NOTHING RETURNING jti, expires_at`,
      [jti, expiresAt, clientId],
    );
    await this.mirrorAll(rows);
  }

  /**
   * Revokes everything exchanged from `parentJti`, transitively, but not `parentJti` itself:
   * a managed token suspended for review (docs/managed-tokens.md#anomaly-review) stops what
   * it already produced, and what it produces once cleared lives.
   */
  async revokeDescendants(parentJti: string): Promise<void> {
    const rows = await this.sql.query<{ jti: string; expires_at: Date }>(
      `${DESCENDANTS('$1')}
       INSERT INTO revoked_tokens (jti, expires_at, client_id)
       SELECT jti, expires_at, client_id FROM d WHERE expires_at > now()
       ON CONFLICT (jti) DO NOTHING RETURNING jti, expires_at`,
      [parentJti],
    );
    await this.mirrorAll(rows);
  }

  /**
   * Inside the transaction of a "valid after" mark on `subjectId` at `at`: the descendants of
   * every token the mark kills because of its client. Returns them for the Redis mirror.
   */
  async cascadeFromMark(tx: Tx, subjectId: string, at: Date): Promise<{ jti: string; expires_at: Date }[]> {
    return tx.$queryRawUnsafe<{ jti: string; expires_at: Date }[]>(
      `${DESCENDANTS(`SELECT jti FROM token_lineage WHERE client_id = $1 AND issued_at <= $2
                      UNION SELECT parent_jti FROM token_lineage WHERE parent_client_id = $1 AND parent_issued_at <= $2`)}
       INSERT INTO revoked_tokens (jti, expires_at, client_id)
       SELECT jti, expires_at, client_id FROM d WHERE expires_at > now()
       ON CONFLICT (jti) DO NOTHING RETURNING jti, expires_at`,
      subjectId,
      at,
    );
  }

  /** A revoked key: the descendants of every token it signed. */
  async cascadeFromKey(kid: string): Promise<void> {
    const rows = await this.sql.query<{ jti: string; expires_at: Date }>(
      `${DESCENDANTS(`SELECT jti FROM token_lineage WHERE kid = $1
                      UNION SELECT parent_jti FROM token_lineage WHERE parent_kid = $1`)}
       INSERT INTO revoked_tokens (jti, expires_at, client_id)
       SELECT jti, expires_at, client_id FROM d WHERE expires_at > now()
       ON CONFLICT (jti) DO NOTHING RETURNING jti, expires_at`,
      [kid],
    );
    await this.mirrorAll(rows);
  }

  async mirrorAll(rows: { jti: string; expires_at: Date }[]): Promise<void> {
    for (const r of rows) await this.mirror.revokedJti(r.jti, new Date(r.expires_at));
  }
}
