import { Injectable } from '@nestjs/common';
import { SqlPool } from '@gatehouse/db';
import { RevocationMirror, type RevocationSubject } from './revocation-mirror';

/**
 * Access-token revocation state (RFC 7009 and per-principal "valid after" marks), durable
 * in Postgres, mirrored in Redis for the fast path (docs/design.md §8; RevocationMirror).
 * Every verification checks it.
 */
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly sql: SqlPool,
    private readonly mirror: RevocationMirror,
  ) {}

  /**
   * A token is dead when its jti is listed, or when it was issued before a "valid after"
   * mark on its subject, its org or its client. One Redis round trip when the mirror is
   * complete, else one Postgres round trip for both checks.
   * `iat` has whole seconds, so a token from the mark's own second counts as before it.
   */
  async isRevoked(claims: RevocationSubject): Promise<boolean> {
    const fast = await this.mirror.check(claims);
    return fast ?? this.isRevokedInPostgres(claims);
  }

  async isRevokedInPostgres(claims: RevocationSubject): Promise<boolean> {
    const ids = [claims.sub, claims.org_id, claims.client_id].filter((x): x is string => typeof x === 'string');
    const rows = await this.sql.query(
      `SELECT 1 FROM revoked_tokens WHERE jti = $1
       UNION ALL
       SELECT 1 FROM principal_revocations WHERE subject_id = ANY($2) AND valid_after >= to_timestamp($3)
       LIMIT 1`,
      [claims.jti, ids, claims.iat],
    );
    return rows.length > 0;
  }

  async revoke(jti: string, expiresAt: Date, clientId: string | null): Promise<void> {
    await this.sql.query(
      'INSERT INTO revoked_tokens (jti, expires_at, client_id) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING',
      [jti, expiresAt, clientId],
    );
    await this.mirror.revokedJti(jti, expiresAt);
  }

  /** Call after a "valid after" mark has committed to principal_revocations. */
  async mirrorValidAfter(subjectId: string, at: Date): Promise<void> {
    await this.mirror.validAfter(subjectId, at);
  }
}
