import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AuditService, type UnknownFlushOutcome } from '@gatehouse/audit';
import { errorCode, LONGEST_TOKEN_TTL_S, runDetached } from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { RevocationMirror } from './revocation-mirror';
import { TokenRevocationService } from './token-revocation.service';

const SETTLE_RETRY_MS = 1000;

interface Pending {
  clientId: string | null;
  requestId: string | null;
  expiresAt: Date;
}

/**
 * docs/design.md §8, "no audit row claims a token that was not issued", when a group
 * commit's outcome is unknown (docs/reliability.md#unknown-flush-outcome): the connection
 * died during the flush, so its rows may or may not have committed while every caller
 * answers 503 and no client holds those tokens. Their jtis are then
 * - revoked at once here (TokenRevocationService's local set) and in the Redis mirror, so
 *   no process accepts them even if a row claims them;
 * - made durable in `revoked_tokens` once PostgreSQL answers again (retried every second);
 * - logged, one line per jti (`event: token_not_delivered`, with whether its audit row did
 *   commit), so the log and what clients hold agree.
 */
@Injectable()
export class UndeliveredTokens implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Audit');
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private settling: Promise<void> | null = null;

  constructor(
    private readonly audit: AuditService,
    private readonly revocations: TokenRevocationService,
    private readonly mirror: RevocationMirror,
    private readonly sql: SqlPool,
  ) {}

  onModuleInit(): void {
    this.audit.onUnknownFlushOutcome((o) => this.undelivered(o));
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.settling;
    if (this.pending.size > 0) await this.settle().catch(() => undefined);
  }

  /** Jtis not yet made durable (tests and readiness can look). */
  get outstanding(): number {
    return this.pending.size;
  }

  private undelivered(o: UnknownFlushOutcome): void {
    const expiresAt = new Date(Date.now() + (LONGEST_TOKEN_TTL_S + 60) * 1000);
    for (const t of o.tokens) {
      this.revocations.revokeLocally(t.jti, expiresAt);
      void this.mirror.revokedJti(t.jti, expiresAt);
      this.pending.set(t.jti, { clientId: t.clientId, requestId: t.requestId, expiresAt });
    }
    runDetached(() => {
      this.log.error(
        { event: 'audit_flush_outcome_unknown', tokens: o.tokens.length, error_code: errorCode(o.error) },
        'audit flush failed with an unknown outcome: its tokens are revoked',
      );
      this.schedule(0);
    });
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.settling = this.settle()
        .catch(() => this.schedule(SETTLE_RETRY_MS))
        .finally(() => (this.settling = null));
    }, ms);
    this.timer.unref();
  }

  private async settle(): Promise<void> {
    const batch = [...this.pending.entries()];
    if (batch.length === 0) return;
    const jtis = batch.map(([jti]) => jti);
    await this.sql.query(
      `INSERT INTO revoked_tokens (jti, expires_at, client_id)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[])
       ON CONFLICT (jti) DO NOTHING`,
      [jtis, batch.map(([, p]) => p.expiresAt), batch.map(([, p]) => p.clientId)],
    );
    const committed = new Set(
      (
        await this.sql.query<{ jti: string }>(
          `SELECT jti FROM audit_events WHERE action = 'token.issued' AND jti = ANY($1::text[])`,
          [jtis],
        )
      ).map((r) => r.jti),
    );
    for (const [jti, p] of batch) {
      this.pending.delete(jti);
      this.log.warn(
        {
          event: 'token_not_delivered',
          jti,
          client_id: p.clientId,
          failed_request_id: p.requestId,
          audit_row_committed: committed.has(jti),
        },
        'token not delivered (its audit flush failed); revoked',
      );
    }
  }
}
