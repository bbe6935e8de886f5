import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Problems, type Clock } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { KEK, KeyedHasher } from '@gatehouse/credentials';
import type { RateLimitPolicy } from '@gatehouse/ratelimit';
import { RequestLimits } from '@gatehouse/tokens';
import { backoffSeconds, recordFailure, secondsLocked } from '../login-throttle';

/**
 * Both sign-in steps, per source address, across all accounts (docs/design.md §6); the
 * per-account count is the lockout in login-throttle.ts. Generous for an office behind one
 * NAT address, far below what password spraying needs.
 */
export const ADMIN_LOGIN_PER_ADDRESS: RateLimitPolicy = { name: 'admin-login-address', limit: 60, windowS: 60 };

/** Who a failed attempt counts against: an administrator, or an email that names none. */
export type SignInAccount = { adminId: string; lockedUntil: Date | null } | { unknownEmail: string };

type FailureAction = 'admin.login.password' | 'admin.login.mfa' | 'admin.mfa.activated';

/**
 * Back-off and lockout for admin sign-in, with one arithmetic (login-throttle.ts) for every
 * submitted email: an administrator's failures are counted on its row, an email that names
 * no administrator on a row of its own (keyed by a hash of the email), so an unknown email
 * backs off and locks exactly like a real one and the answers tell nothing apart.
 */
@Injectable()
export class SignInThrottle {
  private readonly emailHasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly limits: RequestLimits,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.emailHasher = new KeyedHasher(kek, 'admin-login-email');
  }

  async limitAddress(meta: RequestMeta): Promise<void> {
    const key = `admin-login:addr:${meta.sourceIp ?? 'unknown'}`;
    await this.limits.enforce(meta, { key, policy: ADMIN_LOGIN_PER_ADDRESS });
  }

  async refuseIfLocked(meta: RequestMeta, account: SignInAccount, step: string): Promise<void> {
    const lockedUntil =
      'adminId' in account ? account.lockedUntil : await this.unknownLockedUntil(account.unknownEmail);
    const wait = secondsLocked(lockedUntil, this.clock.now());
    if (wait <= 0) return;
    await this.audit.recordAlone(meta, {
      action: 'admin.login.locked',
      outcome: 'failure',
      actor: 'adminId' in account ? { id: account.adminId, tier: 'admin' } : null,
      reason: `${step} attempt while locked`,
      details: { retry_after_s: wait },
    });
    throw Problems.locked(wait);
  }

  async fail(meta: RequestMeta, account: SignInAccount, action: FailureAction, reason: string): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      const now = this.clock.now();
      const { failures, lockedForS } =
        'adminId' in account
          ? await recordFailure(tx, account.adminId, now)
          : await this.recordUnknownFailure(tx, account.unknownEmail, now);
      await this.audit.record(tx, meta, {
        action,
        outcome: 'failure',
        actor: 'adminId' in account ? { id: account.adminId, tier: 'admin' } : null,
        reason,
        details: { consecutive_failures: failures, locked_for_s: lockedForS },
      });
    });
  }

  private async unknownLockedUntil(email: string): Promise<Date | null> {
    const rows = await this.prisma.$queryRaw<{ locked_until: Date | null }[]>`
      SELECT locked_until FROM admin_login_unknown_failures WHERE email_hash = ${this.emailHasher.hash(email)}`;
    return rows[0]?.locked_until ?? null;
  }

  /** Consecutive failures of an unknown email; a day without attempts starts the count afresh. */
  private async recordUnknownFailure(
    tx: Tx,
    email: string,
    now: Date,
  ): Promise<{ failures: number; lockedForS: number }> {
    const hash = this.emailHasher.hash(email);
    const rows = await tx.$queryRaw<{ failed_attempts: number }[]>`
      INSERT INTO admin_login_unknown_failures (email_hash, failed_attempts, updated_at) VALUES (${hash}, 1, ${now})
      ON CONFLICT (email_hash) DO UPDATE SET
        failed_attempts = CASE WHEN admin_login_unknown_failures.updated_at < ${now}::timestamptz - interval '1 day'
                               THEN 1 ELSE admin_login_unknown_failures.failed_attempts + 1 END,
        updated_at = ${now}
      RETURNING failed_attempts`;
    const failures = rows[0]?.failed_attempts ?? 1;
    const lockedForS = backoffSeconds(failures);
    if (lockedForS > 0) {
      const until = new Date(now.getTime() + lockedForS * 1000);
      await tx.$executeRaw`UPDATE admin_login_unknown_failures SET locked_until = ${until} WHERE email_hash = ${hash}`;
    }
    return { failures, lockedForS };
  }
}
