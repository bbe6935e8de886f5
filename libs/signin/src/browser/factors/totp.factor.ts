import { Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { PrismaService } from '@gatehouse/db';
import { RequestLimits } from '@gatehouse/tokens';
import { UserTotpFactor } from '../../factors/user-totp.factor';
import { UserAuthService } from '../../user-auth.service';
import { REDEEM_PER_ADDRESS } from '../../user-flows/flow-limits';
import { UserMfaStep } from '../../user-flows/user-mfa-step';
import type { FactorContext, FactorResult, SignInFactor } from './sign-in-factor';

/** The API's per-account limit of the second step (`user-mfa:acct:…`), shared with it. */
const MFA_PER_ACCOUNT = { name: 'mfa-account', limit: 10, windowS: 300 } as const;

/**
 * The authenticator app's code, or one of its recovery codes, after the password
 * (docs/sign-in.md#second-factors-on-the-pages). It applies when the
 * second-factor rule the API sign-in follows (`secondFactorStep`) asks this user for a code
 * (their TOTP is active and the org's `mfa` is not `off`, `passkeys` not `required`). The
 * code is checked by the API's own UserTotpFactor and spent in the transaction that writes
 * the API's audit rows (`user.login.mfa`, `user.recovery_code.used`), under the same
 * per-account and per-address limits, so a code accepted once — here or at the API — is
 * refused the second time.
 */
@Injectable()
export class TotpFactor implements SignInFactor {
  readonly step = 'mfa' as const;
  readonly fields = ['code'] as const;

  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: UserAuthService,
    private readonly totp: UserTotpFactor,
    private readonly mfaStep: UserMfaStep,
    private readonly limits: RequestLimits,
    private readonly audit: AuditService,
  ) {}

  async applies(ctx: FactorContext): Promise<boolean> {
    if (!ctx.subjectId || ctx.amr.includes('mfa')) return false;
    const user = await this.prisma.user.findFirst({ where: { id: ctx.subjectId, orgId: ctx.orgId } });
    if (!user) return false;
    const step = await this.auth.secondFactor(ctx.orgId, user, 'pwd');
    return step.step === 'verify' && step.methods.includes('totp');
  }

  async verify(ctx: FactorContext, form: Readonly<Record<string, string>>): Promise<FactorResult> {
    const userId = ctx.subjectId;
    if (!userId) return { ok: false, error: 'invalid_credentials' };
    for (const [key, policy] of [
      [`user-mfa:acct:${userId}`, MFA_PER_ACCOUNT],
      [`user-mfa:addr:${ctx.meta.sourceIp ?? 'unknown'}`, REDEEM_PER_ADDRESS],
    ] as const) {
      const c = await this.limits.count(ctx.meta, { key, policy, orgId: ctx.orgId });
      if (!c.allowed) return { ok: false, error: 'rate_limited', retryAfterS: c.retryAfterS };
    }
    // "123 456" as some apps show it; a recovery code as typed (UserTotpFactor normalises it).
    const typed = (form.code ?? '').trim().slice(0, 64);
    const input = /^\d{3}\s\d{3}$/.test(typed) ? typed.replace(/\s/, '') : typed;
    const user = await this.prisma.user.findFirst({ where: { id: userId, orgId: ctx.orgId } });
    const code = user && !user.disabled ? await this.totp.verify(user, input, { recovery: true }) : null;
    const spent =
      user && code
        ? await this.prisma.transaction(async (tx) => {
            if (!(await this.totp.spend(tx, user.id, code))) return false;
            await this.mfaStep.recordSuccess(tx, ctx.meta, user.id, ctx.orgId, ctx.clientId, code);
            return true;
          })
        : false;
    if (!spent || !code) {
      await this.audit.recordAlone(ctx.meta, {
        action: 'user.login.mfa',
        outcome: 'failure',
        actor: { id: userId, tier: 'user' },
        orgId: ctx.orgId,
        reason: code ? 'code already used' : 'invalid code',
        details: { client_id: ctx.clientId, via: 'browser' },
      });
      return { ok: false, error: 'invalid_credentials' };
    }
    return { ok: true, subjectId: userId, amr: ['otp', 'mfa'] };
  }
}
