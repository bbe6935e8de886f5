import { Injectable } from '@nestjs/common';
import { afterCommit, SqlPool, type Tx } from '@gatehouse/db';
import { DelegationLineage } from './delegation-lineage';
import { isRevokedBy, revocationKeys } from '@gatehouse/verifier';
import { RevocationMirror, type RevocationSubject } from './revocation-mirror';

/**
 * Access-token revocation state (RFC 7009 and per-principal "valid after" marks), durable
 * in Postgres, mirrored in Redis for the fast path (docs/design.md §8; RevocationMirror).
 * Every verification checks it.
 */
@Injectable()
export class TokenRevocationService {
  /**
   * Tokens this process revoked before PostgreSQL could record it (a flush whose outcome is
   * unknown, UndeliveredTokens): jti → expiry in epoch ms. Checked before anything else.
   */
  private readonly local = new Map<string, number>();

  constructor(
    private readonly sql: SqlPool,
    private readonly mirror: RevocationMirror,
    private readonly lineage: DelegationLineage,
  ) {}

  /**
   * A token is dead when its jti is listed, or when it was issued before a "valid after"
   * mark on its subject, its org or its client. One Redis round trip when the mirror is
   * complete, else one Postgres round trip for both checks.
   * `iat` has whole seconds, so a token from the mark's own second counts as before it.
   */
  async isRevoked(claims: RevocationSubject): Promise<boolean> {
    if (this.local.size > 0 && this.isRevokedLocally(claims.jti)) return true;
    const fast = await this.mirror.check(claims);
    return fast ?? this.isRevokedInPostgres(claims);
  }

  /** Dead in this process at once, whatever PostgreSQL and Redis can be told yet. */
  revokeLocally(jti: string, expiresAt: Date): void {
    this.local.set(jti, expiresAt.getTime());
  }

  private isRevokedLocally(jti: string): boolean {
    const until = this.local.get(jti);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.local.delete(jti);
    return false;
  }

  /** The shared rule (revocation-rule.ts in libs/verifier) over one Postgres round trip. */
  async isRevokedInPostgres(claims: RevocationSubject): Promise<boolean> {
    const { jtis, subjects } = revocationKeys(claims);
    const rows = await this.sql.query<{ jti: string | null; subject_id: string | null; valid_after_ms: string | null }>(
      `SELECT jti, NULL AS subject_id, NULL AS valid_after_ms FROM revoked_tokens WHERE jti = ANY($1)
       UNION ALL
       SELECT NULL, subject_id, (extract(epoch FROM valid_after) * 1000)::bigint::text
         FROM principal_revocations WHERE subject_id = ANY($2)`,
      [jtis, subjects],
    );
    const revoked = new Set(rows.filter((r) => r.jti !== null).map((r) => r.jti));
    const marks = new Map(
      rows.filter((r) => r.subject_id !== null).map((r) => [r.subject_id!, Number(r.valid_after_ms)]),
    );
    return isRevokedBy(claims, { jtiRevoked: (j) => revoked.has(j), validAfterMs: (id) => marks.get(id) });
  }

  /** Revokes a token and, in the same statement, every token exchanged from it (DelegationLineage). */
  async revoke(jti: string, expiresAt: Date, clientId: string | null): Promise<void> {
    await this.lineage.revokeWithDescendants(jti, expiresAt, clientId);
    await this.mirror.revokedJti(jti, expiresAt);
  }

  /** Revokes every token exchanged from `jti`, transitively, and leaves `jti` itself alone. */
  async revokeDescendants(jti: string): Promise<void> {
    await this.lineage.revokeDescendants(jti);
  }

  /**
   * Inside the transaction that writes a "valid after" mark: revokes by jti what the mark
   * kills through the delegation lineage, and mirrors the mark and those jtis to Redis once
   * the transaction commits.
   */
  async validAfterMarked(tx: Tx, subjectId: string, at: Date): Promise<void> {
    const cascaded = await this.lineage.cascadeFromMark(tx, subjectId, at);
    afterCommit(tx, async () => {
      await this.mirror.validAfter(subjectId, at);
      await this.lineage.mirrorAll(cascaded);
    });
  }
}
