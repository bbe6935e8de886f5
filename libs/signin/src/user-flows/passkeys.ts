import { Injectable } from '@nestjs/common';
import { ADMIN_SCOPE, ProblemError, Problems, type AdminPrincipal, type UserPrincipal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { BrandingService, passkeyView, SignInSettingsService, type PasskeyView } from '@gatehouse/directory';
import { appLiveness } from '@gatehouse/tokens';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { PasskeyFactor, PasskeyRefused, type PasskeyOwner } from '../factors/passkey.factor';
import { SignInSpent, UserAuthService, type SecondFactorRequired, type UserTokens } from '../user-auth.service';
import { redactChallenges } from '../browser/factors/browser-passkeys';
import { FlowLimits, REDEEM_PER_ADDRESS } from './flow-limits';
import { UserMfaStep, userMfaFailed } from './user-mfa-step';

/** One answer for every refused WebAuthn ceremony: none says why (the audit trail does). */
export const passkeyFailed = () =>
  new ProblemError(401, 'passkey_failed', 'Passkey not accepted', {
    detail: 'The passkey could not be verified. Try again.',
  });
const notAllowed = () =>
  new ProblemError(403, 'factor_not_allowed', 'Factor not allowed', {
    detail: 'The organization has turned passkeys off.',
  });

/**
 * Passkey ceremonies (docs/sign-in-experience.md#passkeys): registration for a signed-in user
 * or administrator, sign-in as a first factor (discoverable credentials, conditional UI) and
 * as the second step. Every refusal is one answer (401 `passkey_failed`) and one audit row
 * (`passkey.rejected`) naming the real reason: wrong origin or RP ID, replayed or unknown
 * challenge, unknown credential, a counter that went back.
 */
@Injectable()
export class PasskeyFlows {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly factor: PasskeyFactor,
    private readonly settings: SignInSettingsService,
    private readonly brandings: BrandingService,
    private readonly auth: UserAuthService,
    private readonly mfa: UserMfaStep,
    private readonly limits: FlowLimits,
  ) {}

  async registrationOptions(meta: RequestMeta, p: AdminPrincipal | UserPrincipal) {
    const owner = await this.owner(p);
    const name =
      owner.kind === 'user'
        ? ((await this.brandings.effective(owner.orgId))?.display_name ?? 'Gatehouse')
        : 'Gatehouse';
    return this.factor.registrationOptions(owner, name);
  }

  async register(
    meta: RequestMeta,
    p: AdminPrincipal | UserPrincipal,
    input: { response: RegistrationResponseJSON; name?: string },
  ): Promise<PasskeyView> {
    await this.limits.address(meta, 'passkey', REDEEM_PER_ADDRESS, p.tier === 'user' ? p.orgId : null);
    const owner = await this.owner(p);
    try {
      const row = await this.prisma.transaction(async (tx) => {
        const created = await this.factor.register(tx, owner, input.response, input.name ?? defaultName());
        await this.audit.record(tx, meta, {
          action: 'passkey.registered',
          outcome: 'success',
          actor: { id: p.id, tier: p.tier },
          orgId: owner.kind === 'user' ? owner.orgId : null,
          jti: p.jti,
          target: { type: 'passkey', id: created.id },
          details: { device_type: created.deviceType, backed_up: created.backedUp },
        });
        return created;
      });
      return passkeyView(row);
    } catch (err) {
      throw await this.refused(meta, err, owner.kind === 'user' ? owner.orgId : null, 'registration');
    }
  }

  /** First factor, step 1: a challenge for any discoverable passkey of the org's users. */
  async signInOptions(meta: RequestMeta, orgId: string, clientId: string) {
    await this.limits.address(meta, 'passkey', REDEEM_PER_ADDRESS, orgId);
    await this.requireEnabled(orgId);
    await this.requireApp(orgId, clientId);
    return this.factor.authenticationOptions({ orgId });
  }

  /**
   * First factor, step 2: the assertion → tokens with `amr` `hwk user mfa`. The passkey
   * verified the user, so no second step follows (docs/sign-in-experience.md#second-factors).
   */
  async signIn(
    meta: RequestMeta,
    orgId: string,
    input: { client_id: string; response: AuthenticationResponseJSON },
  ): Promise<UserTokens | SecondFactorRequired> {
    await this.limits.address(meta, 'passkey', REDEEM_PER_ADDRESS, orgId);
    await this.requireEnabled(orgId);
    await this.requireApp(orgId, input.client_id);
    try {
      // The challenge is spent and the counter moved in a transaction of their own: a stop
      // by the access gate afterwards costs the user a new challenge, nothing more.
      const verified = await this.prisma.transaction((tx) => this.factor.authenticate(tx, input.response, { orgId }));
      const user = await this.prisma.user.findFirst({ where: { id: verified.userId, orgId } });
      if (!user || user.disabled) throw new PasskeyRefused('user disabled', verified.userId);
      return await this.auth.completeSignIn(meta, orgId, input.client_id, verified.userId, {
        amr: ['hwk', 'user', 'mfa'],
        factor: 'passkey',
      });
    } catch (err) {
      throw await this.refused(meta, err, orgId, 'authentication');
    }
  }

  /** Second factor, step 1: a challenge for the passkeys of the user the `mfa_token` names. */
  async secondFactorOptions(meta: RequestMeta, orgId: string, mfaToken: string) {
    const step = await this.mfa.find(meta, orgId, mfaToken);
    if (!step.methods.includes('passkey') || step.enrol) {
      await this.mfa.refuse(meta, step.interaction, 'no passkey in this step');
      throw userMfaFailed();
    }
    return this.factor.authenticationOptions({ orgId, userId: step.userId });
  }

  /** Second factor, step 2: the assertion in place of a code at `login/mfa`. */
  async secondFactor(
    meta: RequestMeta,
    orgId: string,
    input: { mfa_token: string; passkey: AuthenticationResponseJSON },
  ): Promise<UserTokens> {
    const step = await this.mfa.find(meta, orgId, input.mfa_token);
    if (!step.methods.includes('passkey') || step.enrol) {
      await this.mfa.refuse(meta, step.interaction, 'no passkey in this step');
      throw userMfaFailed();
    }
    try {
      return await this.auth.completeSignIn(meta, orgId, step.clientId, step.userId, {
        amr: [...step.amr, 'hwk', 'user', 'mfa'],
        factor: 'passkey',
        inTx: async (tx) => {
          if (!(await this.mfa.consume(step, tx))) return false;
          await this.factor.authenticate(tx, input.passkey, { orgId, userId: step.userId });
          await this.mfa.recordSuccess(tx, meta, step.userId, orgId, step.clientId, { factor: 'passkey' });
          return true;
        },
      });
    } catch (err) {
      if (err instanceof SignInSpent) {
        await this.mfa.refuse(meta, step.interaction, 'code or session already used');
        throw userMfaFailed();
      }
      throw await this.refused(meta, err, orgId, 'authentication');
    }
  }

  /** During an enrolment step that allows passkeys: registration options for the step's user. */
  async enrolmentOptions(meta: RequestMeta, orgId: string, mfaToken: string) {
    const { owner } = await this.enrolmentStep(meta, orgId, mfaToken);
    const name = (await this.brandings.effective(orgId))?.display_name ?? 'Gatehouse';
    return this.factor.registrationOptions(owner, name);
  }

  /**
   * During an enrolment step: the registration response in place of a code at `login/mfa`.
   * The passkey is stored and the sign-in completes in one transaction, `amr` `pwd hwk user mfa`.
   */
  async enrolAndSignIn(
    meta: RequestMeta,
    orgId: string,
    input: { mfa_token: string; passkey_registration: RegistrationResponseJSON },
  ): Promise<UserTokens> {
    const { step, owner } = await this.enrolmentStep(meta, orgId, input.mfa_token);
    try {
      return await this.auth.completeSignIn(meta, orgId, step.clientId, step.userId, {
        amr: [...step.amr, 'hwk', 'user', 'mfa'],
        factor: 'passkey',
        inTx: async (tx) => {
          if (!(await this.mfa.consume(step, tx))) return false;
          const created = await this.factor.register(tx, owner, input.passkey_registration, defaultName());
          await this.audit.record(tx, meta, {
            action: 'passkey.registered',
            outcome: 'success',
            actor: { id: step.userId, tier: 'user' },
            orgId,
            target: { type: 'passkey', id: created.id },
            details: { device_type: created.deviceType, backed_up: created.backedUp, during: 'sign-in' },
          });
          await this.mfa.recordSuccess(tx, meta, step.userId, orgId, step.clientId, { factor: 'passkey' });
          return true;
        },
      });
    } catch (err) {
      if (err instanceof SignInSpent) {
        await this.mfa.refuse(meta, step.interaction, 'code or session already used');
        throw userMfaFailed();
      }
      throw await this.refused(meta, err, orgId, 'registration');
    }
  }

  private async enrolmentStep(meta: RequestMeta, orgId: string, mfaToken: string) {
    const step = await this.mfa.find(meta, orgId, mfaToken);
    const user = await this.prisma.user.findFirst({ where: { id: step.userId, orgId }, select: { email: true } });
    if (!step.enrol || !step.methods.includes('passkey') || !user) {
      await this.mfa.refuse(meta, step.interaction, 'no passkey enrolment in this step');
      throw userMfaFailed();
    }
    const owner: PasskeyOwner = { kind: 'user', id: step.userId, orgId, email: user.email };
    return { step, owner };
  }

  private async owner(p: AdminPrincipal | UserPrincipal): Promise<PasskeyOwner> {
    if (p.tier === 'admin') {
      if (!p.scopes.includes(ADMIN_SCOPE)) throw Problems.forbidden('Finish MFA enrolment first.');
      return { kind: 'admin', id: p.id, email: p.email };
    }
    await this.requireEnabled(p.orgId);
    const user = await this.prisma.user.findFirst({ where: { id: p.id, orgId: p.orgId }, select: { email: true } });
    if (!user) throw Problems.notFound('user');
    return { kind: 'user', id: p.id, orgId: p.orgId, email: user.email };
  }

  private async requireEnabled(orgId: string): Promise<void> {
    if ((await this.settings.effective(orgId)).passkeys === 'off') throw notAllowed();
  }

  private async requireApp(orgId: string, clientId: string): Promise<void> {
    const app = await this.prisma.application.findUnique({ where: { id: clientId } });
    if (!app || !appLiveness(app, orgId).live) {
      throw new ProblemError(401, 'invalid_client', 'Unknown client', {
        detail: 'No enabled application with this client_id belongs to the organization.',
      });
    }
  }

  /** Audits a refused ceremony and turns it into the one answer; anything else passes through. */
  private async refused(meta: RequestMeta, err: unknown, orgId: string | null, ceremony: string): Promise<unknown> {
    if (!(err instanceof PasskeyRefused)) return err;
    await this.audit.recordAlone(meta, {
      action: 'passkey.rejected',
      outcome: 'failure',
      actor: err.subjectId ? { id: err.subjectId, tier: err.subjectId.startsWith('adm_') ? 'admin' : 'user' } : null,
      orgId,
      reason: redactChallenges(err.reason),
      details: { ceremony },
    });
    return passkeyFailed();
  }
}

function defaultName(): string {
  return `Passkey ${new Date().toISOString().slice(0, 10)}`;
}
