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

  async isRevoked(jti: string): Promise<boolean> {
    const rows = await this.sql.query('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti]);
    return rows.length > 0;
  }

  async revoke(jti: string, expiresAt: Date, clientId: string | null): Promise<void> {
    await this.sql.query(
      'INSERT INTO revoked_tokens (jti, expires_at, client_id) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING',
      [jti, expiresAt, clientId],
    );
  }
}
