import { Injectable } from '@nestjs/common';
import { SqlPool } from '@gatehouse/db';

/**
 * Access-token revocation state (RFC 7009), durable in Postgres (ARCHITECTURE.md §8). A
 * revoked jti is listed until the token would have expired anyway; every verification
 * checks it. (The Redis fast-path mirror and per-principal "valid after" marks are the
 * revocation issue's next steps.)
 */
@Injectable()
export class TokenRevocationService {
  constructor(private readonly sql: SqlPool) {}

  /**
   * A token is dead when its jti is listed, or when it was issued before a "valid after"
   * mark on its subject, its org or its client (one round trip for both checks).
   * `iat` has whole seconds, so a token from the mark's own second counts as before it.
   */
  async isRevoked(claims: {
    jti: string;
    sub: string;
    iat: number;
    org_id?: string;
    client_id?: string;
  }): Promise<boolean> {
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
  }
}
