import { Injectable } from '@nestjs/common';
import { ProblemError } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { UserTotpFactor, type VerifiedCode } from '../factors/user-totp.factor';
import { isHandleOf } from '../interactions/interaction-kinds';
import { SignInInteractionRepository, type SignInInteraction } from '../interactions/sign-in-interaction.repository';
import { SignInSpent, UserAuthService, type UserTokens } from '../user-auth.service';
import { FlowLimits, REDEEM_PER_ADDRESS } from './flow-limits';

/** One answer for every failure of the user's second step, like the administrators' `mfa_failed`. */
export const userMfaFailed = () =>
  new ProblemError(401, 'mfa_failed', 'Second factor rejected', {
    detail: 'The sign-in session or the code is not valid.',
  });

/** A live `user_mfa` interaction of this org, with what it allows. */
export interface MfaStep {
  interaction: SignInInteraction;
  userId: string;
  clientId: string;
  methods: string[];
  enrol: boolean;
  amr: string[];
}

/**
 * The user sign-in's second step (docs/sign-in-experience.md#mfa-for-users), the shape of
 * `POST /v1/admin/login/mfa`: the `mfa_token` the first factor answered with, and a TOTP
 * code or a recovery code. During an enrolment the step first hands out a seed (`enroll`)
 * and the first code activates the factor and completes the sign-in, answering the recovery
 * codes once. The token, the time step and the recovery code are each spent in the
 * transaction that issues the tokens.
 */
@Injectable()
export class UserMfaStep {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly totp: UserTotpFactor,
    private readonly interactions: SignInInteractionRepository,
    private readonly auth: UserAuthService,
    private readonly limits: FlowLimits,
  ) {}

  /** The live step an `mfa_token` names in this org, or the uniform refusal (audited). */
  async find(meta: RequestMeta, orgId: string, mfaToken: string): Promise<MfaStep> {
    await this.limits.address(meta, 'user-mfa', REDEEM_PER_ADDRESS, orgId);
    const found = isHandleOf('user_mfa', mfaToken)
      ? await this.interactions.findLive('user_mfa', mfaToken)
      : ({ status: 'unknown' } as const);
    const mine = found.status !== 'unknown' && found.interaction.orgId === orgId ? found.interaction : null;
    if (!mine || found.status !== 'live' || !mine.subjectId || !mine.clientId) {
      await this.refuse(meta, mine, 'unknown, spent or expired mfa_token');
      throw userMfaFailed();
    }
    // Sessions ended since the first factor (a new password, "revoke tokens") end this step too.
    const ended = await this.prisma.principalRevocation.findFirst({
      where: { subjectId: { in: [mine.subjectId, mine.clientId] }, validAfter: { gte: mine.createdAt } },
      select: { subjectId: true },
    });
    if (ended) {
      await this.refuse(meta, mine, 'sessions ended since the first factor');
      throw userMfaFailed();
    }
    const p = mine.params;
    return {
      interaction: mine,
      userId: mine.subjectId,
      clientId: mine.clientId,
      methods: Array.isArray(p.methods) ? (p.methods as string[]) : [],
      enrol: p.enrol === true,
      amr: Array.isArray(p.amr) ? (p.amr as string[]) : ['pwd'],
    };
  }

  /** During an enrolment: a new TOTP seed for the user, to activate with the first code. */
  async enroll(
    meta: RequestMeta,
    orgId: string,
    mfaToken: string,
  ): Promise<{ secret: string; otpauth_uri: string; qr_svg: string }> {
    const step = await this.find(meta, orgId, mfaToken);
    const user = await this.prisma.user.findFirst({ where: { id: step.userId, orgId } });
    if (!step.enrol || !step.methods.includes('totp') || !user) {
      await this.refuse(meta, step.interaction, 'no TOTP enrolment in this step');
      throw userMfaFailed();
    }
    return this.prisma.transaction(async (tx) => {
      const seed = await this.totp.start(tx, user);
      await this.audit.record(tx, meta, {
        action: 'user.mfa.enrolled',
        outcome: 'success',
        actor: { id: user.id, tier: 'user' },
        orgId,
        details: { during: 'sign-in' },
      });
      return seed;
    });
  }

  async complete(meta: RequestMeta, orgId: string, input: { mfa_token: string; code: string }): Promise<UserTokens> {
    const step = await this.find(meta, orgId, input.mfa_token);
    await this.limits.check(
      meta,
      `user-mfa:acct:${step.userId}`,
      { name: 'mfa-account', limit: 10, windowS: 300 },
      orgId,
    );
    const user = await this.prisma.user.findFirst({ where: { id: step.userId, orgId } });
    const allowsTotp = step.methods.includes('totp');
    const code =
      user && allowsTotp
        ? await this.totp.verify(user, input.code, { recovery: !step.enrol && step.methods.includes('recovery_code') })
        : null;
    if (!user || !code) {
      await this.refuse(meta, step.interaction, 'invalid code');
      throw userMfaFailed();
    }
    let recoveryCodes: string[] | undefined;
    try {
      return await this.auth.completeSignIn(meta, orgId, step.clientId, user.id, {
        amr: [...step.amr, 'otp', 'mfa'],
        factor: code.factor,
        inTx: async (tx) => {
          if (!(await this.interactions.consume(step.interaction.id, tx))) return false;
          if (!(await this.totp.spend(tx, user.id, code))) return false;
          if (step.enrol) {
            recoveryCodes = await this.totp.activate(tx, user.id);
            await this.audit.record(tx, meta, {
              action: 'user.mfa.activated',
              outcome: 'success',
              actor: { id: user.id, tier: 'user' },
              orgId,
              details: { during: 'sign-in', recovery_code_count: recoveryCodes.length },
            });
          }
          await this.recordSuccess(tx, meta, user.id, orgId, step.clientId, code);
          return true;
        },
        get recoveryCodes() {
          return recoveryCodes;
        },
      });
    } catch (err) {
      if (!(err instanceof SignInSpent)) throw err;
      await this.refuse(meta, step.interaction, 'code or session already used');
      throw userMfaFailed();
    }
  }

  /** Spends the step's `mfa_token` in the caller's transaction. */
  consume(step: MfaStep, tx: Parameters<UserTotpFactor['spend']>[0]): Promise<boolean> {
    return this.interactions.consume(step.interaction.id, tx);
  }

  async recordSuccess(
    tx: Parameters<typeof this.totp.spend>[0],
    meta: RequestMeta,
    userId: string,
    orgId: string,
    clientId: string,
    code: VerifiedCode | { factor: 'passkey' },
  ): Promise<void> {
    if (code.factor === 'recovery_code') {
      await this.audit.record(tx, meta, {
        action: 'user.recovery_code.used',
        outcome: 'success',
        actor: { id: userId, tier: 'user' },
        orgId,
        details: { remaining: await this.totp.remainingRecoveryCodes(tx, userId) },
      });
    }
    await this.audit.record(tx, meta, {
      action: 'user.login.mfa',
      outcome: 'success',
      actor: { id: userId, tier: 'user' },
      orgId,
      details: { client_id: clientId, factor: code.factor },
    });
  }

  async refuse(meta: RequestMeta, interaction: SignInInteraction | null, reason: string): Promise<void> {
    await this.audit.recordAlone(meta, {
      action: 'user.login.mfa',
      outcome: 'failure',
      actor: interaction?.subjectId ? { id: interaction.subjectId, tier: 'user' } : null,
      orgId: interaction?.orgId ?? null,
      reason,
      details: interaction?.clientId ? { client_id: interaction.clientId } : {},
    });
  }
}
