import { Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { PrismaService } from '@gatehouse/db';
import { UserAuthService } from '../../user-auth.service';
import type { FactorContext, FactorResult, SignInFactor } from './sign-in-factor';

/**
 * The stop for a second factor the hosted pages cannot take yet
 * (docs/sign-in.md#second-factors-on-the-pages): after the password, when the
 * org's policy asks this user for a factor to set up that the pages cannot set up
 * (`mfa: required` with passkeys off and no TOTP), the sign-in never completes with the
 * password alone: the page says what to set up, and nothing it posts is accepted. Listed
 * after every factor the pages can verify or set up (the code, passkeys), so a user those
 * serve meets their page instead; once a factor made the sign-in multi-factor it never applies.
 */
@Injectable()
export class SecondFactorSetupFactor implements SignInFactor {
  readonly step = 'mfa_setup' as const;
  readonly fields = [] as const;
  readonly blocks = true;

  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: UserAuthService,
    private readonly audit: AuditService,
  ) {}

  async applies(ctx: FactorContext): Promise<boolean> {
    if (!ctx.subjectId || ctx.amr.includes('mfa')) return false;
    const user = await this.prisma.user.findFirst({ where: { id: ctx.subjectId, orgId: ctx.orgId } });
    if (!user) return true;
    const step = await this.auth.secondFactor(ctx.orgId, user, 'pwd');
    if (step.step === 'none') return false;
    return step.step === 'enrol' || !step.methods.includes('totp');
  }

  async refused(ctx: FactorContext): Promise<void> {
    await this.audit.recordAlone(ctx.meta, {
      action: 'user.login',
      outcome: 'failure',
      actor: ctx.subjectId ? { id: ctx.subjectId, tier: 'user' } : null,
      orgId: ctx.orgId,
      reason: 'second factor required that the hosted pages cannot take',
      details: { client_id: ctx.clientId, via: 'browser' },
    });
  }

  verify(): Promise<FactorResult> {
    return Promise.resolve({ ok: false, error: 'invalid_credentials' });
  }
}
