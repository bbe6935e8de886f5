import { Injectable } from '@nestjs/common';
import { AccessStoppedError, ProblemError, Problems, epochSeconds } from '@gatehouse/core';
import { PolicyService } from '@gatehouse/control';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { PasswordHasher } from '@gatehouse/credentials';
import type { RateLimitPolicy } from '@gatehouse/ratelimit';
import { RefreshTokenService, RequestLimits, TokenIssuer, appLiveness, userLiveness } from '@gatehouse/tokens';
import { SignInInteractionRepository, type SignInInteraction } from './interactions/sign-in-interaction.repository';
import { SignInSettingsService } from '@gatehouse/directory';
import type { Tx } from '@gatehouse/db';
import { secondFactorStep, type SecondFactorStep } from './user-flows/second-factor';

export interface UserTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
  /** Recovery codes of a TOTP factor enrolled during this sign-in: shown once. */
  recovery_codes?: string[];
}

/** The answer of a first factor that needs a second (docs/sign-in-experience.md#second-factors). */
export interface SecondFactorRequired {
  mfa_token: string;
  expires_in: number;
  /** What the step accepts (verify) or what the user may enrol (enrolment). */
  methods: string[];
  mfa_enrollment_required?: true;
}

/** How long a user `mfa_token` lives, like the administrators'. */
export const USER_MFA_TTL_S = 300;

/** Everything the transaction of a sign-in may need to do besides issuing: spend a handle, a code. */
export interface SignInCompletion {
  /** RFC 8176 methods of this sign-in. */
  amr: string[];
  /** Runs first in the sign-in's transaction; returns false when what it spends was spent already. */
  inTx?: (tx: Tx) => Promise<boolean>;
  /** Audit detail of the factor used (`totp`, `recovery_code`, `passkey`). */
  factor?: string;
  recoveryCodes?: string[];
}

/** Thrown inside a sign-in's transaction when a racing request spent its handle or code first. */
export class SignInSpent extends Error {}

/**
 * Brute-force limits on user sign-in (docs/design.md §6): per account and per source
 * address, counted before the password is checked so a guesser cannot tell them apart.
 */
export const USER_LOGIN_PER_ACCOUNT: RateLimitPolicy = { name: 'login-account', limit: 10, windowS: 300 };
export const USER_LOGIN_PER_ADDRESS: RateLimitPolicy = { name: 'login-address', limit: 30, windowS: 60 };

/** The policy step of sign-in (docs/control.md#policy): how long its `policy_token` lives. */
export const POLICY_TOKEN_TTL_S = 300;
/** The one stop the policy step answers (docs/control.md#reasons). */
const POLICY_NOT_ACCEPTED = 'policy_not_accepted';

/** One answer for every refused `policy_token` (unknown, spent, expired, another org's): none says which. */
export const policyTokenRefused = () =>
  new ProblemError(401, 'policy_token_invalid', 'Sign-in session rejected', {
    detail: 'The policy_token is not valid; sign in again.',
  });

/** What a sign-in needs of the application it comes through. */
interface SignInApp {
  id: string;
  orgId: string;
  disabled: boolean;
  scopes: string[];
  tokenTtlS: number;
  delegates: string[];
  /** The legacy password endpoint's opt-in (docs/sign-in.md#the-legacy-password-endpoint). */
  passwordLogin: boolean;
}

/** Thrown inside the acceptance's transaction when a racing request spent the token first. */
class PolicyTokenSpent extends Error {}

const invalidClient = () =>
  new ProblemError(401, 'invalid_client', 'Unknown client', {
    detail: 'No enabled application with this client_id belongs to the organization.',
  });

/**
 * An app created since browser sign-in must opt in to the legacy password endpoint
 * (docs/sign-in.md#the-legacy-password-endpoint); the problem names the field to set.
 */
export const passwordLoginDisabled = () =>
  new ProblemError(403, 'password_login_disabled', 'Password sign-in is not enabled for this application', {
    detail:
      'This application has password_login: false. Sign users in through /oauth/authorize (the hosted pages), ' +
      'or set password_login: true on the application (PATCH /v1/orgs/{orgId}/apps/{appId}).',
    extra: { field: 'password_login' },
  });

/**
 * User sign-in through one of the org's applications: the user and the app must both
 * belong to the org named in the route. The token is a `tier: user` token carrying the
 * org, the app's client_id and the scopes the app holds, plus a rotating refresh token
 * bound to that app. A sign-in stopped only because the org requires a policy version the
 * user has not accepted hands out a `policy_token` for the policy step (the handle of a
 * `user_policy` interaction), where the user accepts and the sign-in completes
 * (docs/control.md#policy).
 */
@Injectable()
export class UserAuthService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
    private readonly limits: RequestLimits,
    private readonly issuer: TokenIssuer,
    private readonly refreshTokens: RefreshTokenService,
    private readonly policy: PolicyService,
    private readonly interactions: SignInInteractionRepository,
    private readonly settings: SignInSettingsService,
  ) {}

  async login(
    meta: RequestMeta,
    orgId: string,
    input: { client_id: string; email: string; password: string },
  ): Promise<UserTokens | SecondFactorRequired> {
    for (const [key, policy] of [
      [`user-login:acct:${orgId}:${input.email}`, USER_LOGIN_PER_ACCOUNT],
      [`user-login:addr:${meta.sourceIp ?? 'unknown'}`, USER_LOGIN_PER_ADDRESS],
    ] as const) {
      await this.limit(meta, key, policy, orgId);
    }
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { id: true, name: true } });
    const app = org ? await this.findApp(input.client_id) : null;
    if (!org || !app || !appLiveness(app, orgId).live) {
      await this.audit.recordAlone(meta, {
        action: 'user.login',
        outcome: 'failure',
        orgId: org?.id ?? null,
        reason: 'unknown client',
      });
      throw invalidClient();
    }
    if (!app.passwordLogin) {
      // Refused before the password is looked at: this app never collects passwords.
      await this.audit.recordAlone(meta, {
        action: 'user.login',
        outcome: 'failure',
        orgId,
        reason: 'password_login not enabled',
        details: { client_id: app.id },
      });
      throw passwordLoginDisabled();
    }
    const user = await this.prisma.user.findUnique({ where: { orgId_email: { orgId, email: input.email } } });
    const ok = await this.passwords.verify(input.password, user?.passwordHash);
    if (!user || !ok || user.disabled) {
      await this.audit.recordAlone(meta, {
        action: 'user.login',
        outcome: 'failure',
        actor: user ? { id: user.id, tier: 'user' } : null,
        orgId,
        reason: !user ? 'unknown account' : !ok ? 'wrong password' : 'user disabled',
        details: { client_id: app.id },
      });
      throw Problems.invalidCredentials();
    }
    const step = await this.secondFactor(orgId, user, 'pwd');
    if (step.step !== 'none') return this.offerSecondFactor(meta, orgId, app.id, user.id, step, ['pwd']);
    return this.signIn(meta, org, app, user.id, { amr: ['pwd'] });
  }

  /** The second-factor step a first factor leads to (docs/sign-in-experience.md#second-factors). */
  async secondFactor(
    orgId: string,
    user: { id: string; mfaActive: boolean },
    firstFactor: 'pwd' | 'passkey',
  ): Promise<SecondFactorStep> {
    const settings = await this.settings.effective(orgId);
    const passkeys = await this.prisma.passkey.count({ where: { userId: user.id } });
    return secondFactorStep(settings, { mfaActive: user.mfaActive, passkeys }, firstFactor);
  }

  /** A fresh single-use `mfa_token` (a `user_mfa` interaction) for the step, and what it accepts. */
  async offerSecondFactor(
    meta: RequestMeta,
    orgId: string,
    clientId: string,
    userId: string,
    step: Exclude<SecondFactorStep, { step: 'none' }>,
    amr: string[],
  ): Promise<SecondFactorRequired> {
    const { handle } = await this.interactions.create({
      kind: 'user_mfa',
      subjectId: userId,
      orgId,
      clientId,
      stepsDone: ['password'],
      params: { amr, methods: step.methods, enrol: step.step === 'enrol' },
      ttlS: USER_MFA_TTL_S,
    });
    await this.audit.recordAlone(meta, {
      action: 'user.login.second_factor_required',
      outcome: 'success',
      actor: { id: userId, tier: 'user' },
      orgId,
      details: { client_id: clientId, step: step.step, methods: step.methods },
    });
    return {
      mfa_token: handle,
      expires_in: USER_MFA_TTL_S,
      methods: step.methods,
      ...(step.step === 'enrol' ? { mfa_enrollment_required: true as const } : {}),
    };
  }

  /**
   * Finishes a sign-in whose factors were checked elsewhere (the MFA step, a passkey): the
   * org, the app and the user must still be live; then the same transaction as `login`.
   */
  async completeSignIn(
    meta: RequestMeta,
    orgId: string,
    clientId: string,
    userId: string,
    completion: SignInCompletion,
  ): Promise<UserTokens> {
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { id: true, name: true } });
    const app = await this.findApp(clientId);
    const user = await this.prisma.user.findUnique({ where: { id: userId } });
    if (!org || !app || !userLiveness(user, app, orgId).live) throw invalidClient();
    return this.signIn(meta, org, app, userId, completion);
  }

  /**
   * The policy step (docs/control.md#policy): the `policy_token` a sign-in stopped only by
   * an unaccepted policy handed out, and the version the user accepts. The token must be
   * live and this org's; the acceptance is recorded by the control layer's PolicyService,
   * as at `POST /v1/me/policy-acceptances`, and spends the token in its transaction; then
   * the sign-in completes through the same path as `login`, so the access gate decides again.
   */
  async completePolicyStep(
    meta: RequestMeta,
    orgId: string,
    input: { policy_token: string; version: string },
  ): Promise<UserTokens> {
    await this.limit(meta, `user-login:addr:${meta.sourceIp ?? 'unknown'}`, USER_LOGIN_PER_ADDRESS, orgId);
    const found = await this.interactions.findLive('user_policy', input.policy_token);
    // Another org's token is refused like an unknown one, and its user is not named here.
    const challenge =
      found.status !== 'unknown' && found.interaction.orgId === orgId ? policyStep(found.interaction) : null;
    const refuse = async (reason: string) => {
      await this.audit.recordAlone(meta, {
        action: 'user.login',
        outcome: 'failure',
        actor: challenge ? { id: challenge.userId, tier: 'user' } : null,
        orgId: challenge ? orgId : null,
        reason,
        details: challenge ? { client_id: challenge.clientId, step: 'policy' } : { step: 'policy' },
      });
      return policyTokenRefused();
    };
    if (!challenge || found.status !== 'live') {
      throw await refuse('unknown, spent or expired policy_token');
    }
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { id: true, name: true } });
    const app = await this.findApp(challenge.clientId);
    const user = await this.prisma.user.findUnique({ where: { id: challenge.userId } });
    if (!org || !userLiveness(user, app, orgId).live) throw await refuse('user or application no longer live');
    // A session ended since the password was checked (a new password, "revoke tokens") ends this step too.
    const ended = await this.prisma.principalRevocation.findFirst({
      where: { subjectId: { in: [challenge.userId, challenge.clientId] }, validAfter: { gte: challenge.createdAt } },
      select: { subjectId: true },
    });
    if (ended) throw await refuse('sessions ended since the password was checked');

    try {
      const acceptor = { id: challenge.userId, tier: 'user' } as const;
      await this.policy.accept(acceptor, meta, orgId, input.version, 'self', async (tx) => {
        if (!(await this.interactions.consume(challenge.id, tx))) throw new PolicyTokenSpent();
      });
    } catch (err) {
      if (err instanceof PolicyTokenSpent) throw await refuse('unknown, spent or expired policy_token');
      throw err;
    }
    return this.signIn(meta, org, app!, challenge.userId, { amr: ['pwd'] });
  }

  private async limit(meta: RequestMeta, key: string, policy: RateLimitPolicy, orgId: string): Promise<void> {
    await this.limits.enforce(meta, { key, policy, orgId });
  }

  private findApp(id: string): Promise<SignInApp | null> {
    return this.prisma.application.findUnique({
      where: { id },
      select: {
        id: true,
        orgId: true,
        disabled: true,
        scopes: true,
        tokenTtlS: true,
        delegates: true,
        passwordLogin: true,
      },
    });
  }

  /**
   * A sign-in whose credentials are settled: the refresh family, the `user.login` row and
   * the token, in one transaction. A stop by the access gate for an unaccepted policy, and
   * only that one, is answered with a `policy_token` for the policy step
   * (docs/control.md#policy); any other stop is thrown as it is.
   */
  private async signIn(
    meta: RequestMeta,
    org: { id: string; name: string },
    app: SignInApp,
    userId: string,
    completion: SignInCompletion,
  ): Promise<UserTokens> {
    const orgId = org.id;
    try {
      return await this.prisma.transaction(async (tx) => {
        if (completion.inTx && !(await completion.inTx(tx))) throw new SignInSpent();
        const started = await this.refreshTokens.start(tx, {
          tier: 'user',
          subjectId: userId,
          clientId: app.id,
          orgId,
          scope: app.scopes.join(' '),
          amr: [...completion.amr],
        });
        await this.audit.record(tx, meta, {
          action: 'user.login',
          outcome: 'success',
          actor: { id: userId, tier: 'user' },
          orgId,
          details: {
            client_id: app.id,
            amr: completion.amr,
            ...(completion.factor ? { factor: completion.factor } : {}),
          },
        });
        const { response } = await this.issuer.issue(
          meta,
          {
            kind: 'user_login',
            subject: { tier: 'user', id: userId, org, clientId: app.id },
            scopes: app.scopes,
            ttlS: app.tokenTtlS,
            mayAct: app.delegates,
            authTime: epochSeconds(started.createdAt),
            amr: completion.amr,
            refreshToken: started.refreshToken,
            audit: {
              action: 'token.issued',
              target: { type: 'user', id: userId },
              details: (claims) => ({
                tier: 'user',
                client_id: app.id,
                scope: claims.scope,
                expires_in: app.tokenTtlS,
                refresh_family: started.familyId,
              }),
            },
          },
          tx,
        );
        const tokens = response as UserTokens;
        return completion.recoveryCodes ? { ...tokens, recovery_codes: completion.recoveryCodes } : tokens;
      });
    } catch (err) {
      if (!(err instanceof AccessStoppedError) || err.decision.reason !== POLICY_NOT_ACCEPTED) throw err;
      throw await this.offerPolicyStep(err, orgId, app.id, userId);
    }
  }

  /** The stop, with a fresh single-use `policy_token` and the policy to accept. */
  private async offerPolicyStep(
    stop: AccessStoppedError,
    orgId: string,
    clientId: string,
    userId: string,
  ): Promise<AccessStoppedError> {
    if (stop.decision.outcome !== 'deny') return stop;
    const policy = await this.prisma.orgControl.findUnique({
      where: { orgId },
      select: { policyVersion: true, policyDocumentUrl: true },
    });
    // Lifted between the decision and this read: the stop stands as decided, without a step.
    if (!policy?.policyVersion) return stop;
    const { handle } = await this.interactions.create({
      kind: 'user_policy',
      subjectId: userId,
      orgId,
      clientId,
      stepsDone: ['password'],
      ttlS: POLICY_TOKEN_TTL_S,
    });
    return new AccessStoppedError(stop.decision, {
      policy_token: handle,
      policy_token_expires_in: POLICY_TOKEN_TTL_S,
      policy_version: policy.policyVersion,
      ...(policy.policyDocumentUrl ? { policy_document_url: policy.policyDocumentUrl } : {}),
    });
  }
}

/** The parts of a `user_policy` interaction the step acts on (all set when it was offered). */
function policyStep(i: SignInInteraction): { id: string; userId: string; clientId: string; createdAt: Date } | null {
  return i.subjectId && i.clientId
    ? { id: i.id, userId: i.subjectId, clientId: i.clientId, createdAt: i.createdAt }
    : null;
}
