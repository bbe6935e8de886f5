import { Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { PasswordHasher } from '@gatehouse/credentials';
import { PrismaService } from '@gatehouse/db';
import { RequestLimits } from '@gatehouse/tokens';
import { USER_LOGIN_PER_ACCOUNT, USER_LOGIN_PER_ADDRESS } from '../../user-auth.service';
import type { FactorContext, FactorResult, SignInFactor } from './sign-in-factor';

/**
 * The password (docs/sign-in.md#factors), under the API sign-in's rules: the same per-account
 * and per-address limits, counted before the password is checked; bcrypt even for an unknown
 * account (PasswordHasher's dummy hash), and one answer for unknown, wrong and disabled, so
 * neither the message nor the timing says which.
 */
@Injectable()
export class PasswordFactor implements SignInFactor {
  readonly step = 'password' as const;
  readonly fields = ['password'] as const;

  constructor(
    private readonly prisma: PrismaService,
    private readonly passwords: PasswordHasher,
    private readonly limits: RequestLimits,
    private readonly audit: AuditService,
  ) {}

  /** Not after a passkey sign-in: that was already two factors (docs/sign-in-experience.md#amr). */
  applies(ctx: FactorContext): Promise<boolean> {
    return Promise.resolve(!ctx.amr.includes('mfa'));
  }

  async verify(ctx: FactorContext, form: Readonly<Record<string, string>>): Promise<FactorResult> {
    for (const [key, policy] of [
      [`user-login:acct:${ctx.orgId}:${ctx.email}`, USER_LOGIN_PER_ACCOUNT],
      [`user-login:addr:${ctx.meta.sourceIp ?? 'unknown'}`, USER_LOGIN_PER_ADDRESS],
    ] as const) {
      const c = await this.limits.count(ctx.meta, { key, policy, orgId: ctx.orgId });
      if (!c.allowed) return { ok: false, error: 'rate_limited', retryAfterS: c.retryAfterS };
    }
    const password = form.password ?? '';
    const user = await this.prisma.user.findUnique({ where: { orgId_email: { orgId: ctx.orgId, email: ctx.email } } });
    const ok = await this.passwords.verify(password.slice(0, 1024), user?.passwordHash);
    if (!user || !ok || user.disabled) {
      await this.audit.recordAlone(ctx.meta, {
        action: 'user.login',
        outcome: 'failure',
        actor: user ? { id: user.id, tier: 'user' } : null,
        orgId: ctx.orgId,
        reason: !user ? 'unknown account' : !ok ? 'wrong password' : 'user disabled',
        details: { client_id: ctx.clientId, via: 'browser' },
      });
      return { ok: false, error: 'invalid_credentials' };
    }
    return { ok: true, subjectId: user.id, amr: ['pwd'] };
  }
}
