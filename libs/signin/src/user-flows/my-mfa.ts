import { Injectable } from '@nestjs/common';
import { ProblemError, Problems, type UserPrincipal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { SignInSettingsService } from '@gatehouse/directory';
import { UserTotpFactor } from '../factors/user-totp.factor';
import { FlowLimits, REDEEM_PER_ADDRESS } from './flow-limits';
import { userMfaFailed } from './user-mfa-step';

const alreadyActive = () =>
  new ProblemError(409, 'mfa_already_active', 'MFA already active', {
    detail: 'This user already has an active TOTP factor; remove it first.',
  });
const notAllowed = (detail: string) => new ProblemError(403, 'factor_not_allowed', 'Factor not allowed', { detail });

/**
 * A signed-in user's own TOTP factor under `/v1/me/mfa` (docs/sign-in-experience.md#mfa-for-users):
 * enrol (a seed and its QR code), activate with a first code (recovery codes, shown once),
 * remove with a current code. Refused where the org turned MFA off; removal refused where
 * the org requires it.
 */
@Injectable()
export class MyMfaService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly totp: UserTotpFactor,
    private readonly settings: SignInSettingsService,
    private readonly limits: FlowLimits,
  ) {}

  async enroll(meta: RequestMeta, me: UserPrincipal): Promise<{ secret: string; otpauth_uri: string; qr_svg: string }> {
    const user = await this.user(me);
    if ((await this.settings.effective(me.orgId)).mfa === 'off') {
      throw notAllowed('The organization has turned two-step verification off.');
    }
    if (user.mfaActive) throw alreadyActive();
    return this.prisma.transaction(async (tx) => {
      const seed = await this.totp.start(tx, user);
      await this.audit.record(tx, meta, {
        action: 'user.mfa.enrolled',
        outcome: 'success',
        actor: { id: me.id, tier: 'user' },
        orgId: me.orgId,
        jti: me.jti,
      });
      return seed;
    });
  }

  async activate(meta: RequestMeta, me: UserPrincipal, code: string): Promise<{ recovery_codes: string[] }> {
    await this.limits.address(meta, 'user-mfa', REDEEM_PER_ADDRESS, me.orgId);
    const user = await this.user(me);
    if (user.mfaActive) throw alreadyActive();
    if (!user.totpSecretEnc) throw Problems.conflict('Call POST /v1/me/mfa/enroll first.');
    const verified = await this.totp.verify(user, code, { recovery: false });
    if (!verified) throw await this.failed(meta, me, 'user.mfa.activated');
    const codes = await this.prisma.transaction(async (tx) => {
      if (!(await this.totp.spend(tx, user.id, verified))) return null;
      const fresh = await this.totp.activate(tx, user.id);
      await this.audit.record(tx, meta, {
        action: 'user.mfa.activated',
        outcome: 'success',
        actor: { id: me.id, tier: 'user' },
        orgId: me.orgId,
        jti: me.jti,
        details: { recovery_code_count: fresh.length },
      });
      return fresh;
    });
    if (!codes) throw await this.failed(meta, me, 'user.mfa.activated');
    return { recovery_codes: codes };
  }

  async remove(meta: RequestMeta, me: UserPrincipal, code: string): Promise<void> {
    await this.limits.address(meta, 'user-mfa', REDEEM_PER_ADDRESS, me.orgId);
    const user = await this.user(me);
    if (!user.mfaActive) throw Problems.notFound('TOTP factor');
    if ((await this.settings.effective(me.orgId)).mfa === 'required') {
      throw notAllowed('The organization requires two-step verification.');
    }
    const verified = await this.totp.verify(user, code, { recovery: true });
    if (!verified) throw await this.failed(meta, me, 'user.mfa.removed');
    const done = await this.prisma.transaction(async (tx) => {
      if (!(await this.totp.spend(tx, user.id, verified))) return false;
      await this.totp.remove(tx, user.id);
      await this.audit.record(tx, meta, {
        action: 'user.mfa.removed',
        outcome: 'success',
        actor: { id: me.id, tier: 'user' },
        orgId: me.orgId,
        jti: me.jti,
        details: { by: 'self' },
      });
      return true;
    });
    if (!done) throw await this.failed(meta, me, 'user.mfa.removed');
  }

  private async user(me: UserPrincipal) {
    const user = await this.prisma.user.findFirst({ where: { id: me.id, orgId: me.orgId } });
    if (!user) throw Problems.notFound('user');
    return user;
  }

  private async failed(meta: RequestMeta, me: UserPrincipal, action: 'user.mfa.activated' | 'user.mfa.removed') {
    await this.audit.recordAlone(meta, {
      action,
      outcome: 'failure',
      actor: { id: me.id, tier: 'user' },
      orgId: me.orgId,
      jti: me.jti,
      reason: 'invalid code',
    });
    return userMfaFailed();
  }
}
