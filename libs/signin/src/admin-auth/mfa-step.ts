import { Inject, Injectable } from '@nestjs/common';
import { ADMIN_SCOPE, CLOCK, GATEHOUSE_CONFIG, ProblemError, type Clock, type GatehouseConfig } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { looksLikeRecoveryCode, normaliseRecoveryCode, SecretBox, Totp } from '@gatehouse/credentials';
import { RefreshTokenService, TokenIssuer, type TokenResponse, AnomalyDetector } from '@gatehouse/tokens';
import { AdminService } from '@gatehouse/directory';
import { isHandleOf } from '../interactions/interaction-kinds';
import { SignInInteractionRepository } from '../interactions/sign-in-interaction.repository';
import { SignInThrottle } from './sign-in-throttle';

export type AdminTokens = Required<
  Pick<TokenResponse, 'access_token' | 'token_type' | 'expires_in' | 'refresh_token' | 'scope'>
>;

/** One answer for every second-factor failure, so none reveals which check failed. */
export const mfaFailed = () =>
  new ProblemError(401, 'mfa_failed', 'Second factor rejected', {
    detail: 'The sign-in session or the code is not valid.',
  });

/**
 * Admin sign-in, second step: the `mfa_token` plus a TOTP code (or a one-time recovery
 * code), then an access token and a rotating refresh token. The `mfa_token` (an `admin_mfa`
 * interaction), the TOTP time step and the recovery code are each single-use, even against
 * concurrent requests.
 */
@Injectable()
export class MfaStepFlow {
  constructor(
    private readonly prisma: PrismaService,
    private readonly box: SecretBox,
    private readonly totp: Totp,
    private readonly audit: AuditService,
    private readonly throttle: SignInThrottle,
    private readonly admins: AdminService,
    private readonly issuer: TokenIssuer,
    private readonly refreshTokens: RefreshTokenService,
    private readonly anomalies: AnomalyDetector,
    private readonly interactions: SignInInteractionRepository,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async completeMfa(meta: RequestMeta, mfaToken: string, code: string): Promise<AdminTokens> {
    await this.throttle.limitAddress(meta);
    const now = this.clock.now();
    if (!isHandleOf('admin_mfa', mfaToken)) throw mfaFailed();
    const found = await this.interactions.findLive('admin_mfa', mfaToken);
    const subjectId = found.status === 'unknown' ? null : found.interaction.subjectId;
    const admin = subjectId ? await this.prisma.administrator.findUnique({ where: { id: subjectId } }) : null;
    if (found.status !== 'live' || !admin) {
      await this.audit.recordAlone(meta, {
        action: 'admin.login.mfa',
        outcome: 'failure',
        actor: admin ? { id: admin.id, tier: 'admin' } : null,
        reason: 'unknown, spent or expired mfa_token',
      });
      throw mfaFailed();
    }
    const interaction = found.interaction;
    const account = { adminId: admin.id, lockedUntil: admin.lockedUntil };
    await this.throttle.refuseIfLocked(meta, account, 'mfa');
    if (!admin.mfaActive || !admin.totpSecretEnc) throw mfaFailed();

    let acceptedStep: number | null = null;
    let recoveryCodeId: string | null = null;
    if (/^\d{6}$/.test(code)) {
      const secret = this.box.open(admin.totpSecretEnc, `totp:${admin.id}`).toString('utf8');
      const lastStep = admin.totpLastStep === null ? null : Number(admin.totpLastStep);
      const check = await this.totp.check(secret, code, lastStep, now.getTime());
      if (check.valid) acceptedStep = check.timeStep ?? null;
    } else if (looksLikeRecoveryCode(code)) {
      const hash = this.admins.recoveryHasher.hash(normaliseRecoveryCode(code));
      const rc = await this.prisma.recoveryCode.findFirst({
        where: { adminId: admin.id, codeHash: hash, usedAt: null },
      });
      if (rc) recoveryCodeId = rc.id;
    }
    if (acceptedStep === null && recoveryCodeId === null) {
      await this.throttle.fail(meta, account, 'admin.login.mfa', 'invalid code');
      await this.anomalies.mfaFailed(meta, admin.id);
      throw mfaFailed();
    }

    const scopes = [ADMIN_SCOPE];
    const result = await this.prisma.transaction(async (tx) => {
      // Conditional updates make the interaction, the time step and the recovery code
      // single-use even against concurrent requests carrying the same values.
      if (!(await this.interactions.consume(interaction.id, tx))) return null;
      if (acceptedStep !== null) {
        const stepped = await tx.$executeRaw`UPDATE administrators SET totp_last_step = ${acceptedStep}
          WHERE id = ${admin.id} AND (totp_last_step IS NULL OR totp_last_step < ${acceptedStep})`;
        if (stepped !== 1) return null;
      } else {
        const used = await tx.recoveryCode.updateMany({
          where: { id: recoveryCodeId!, usedAt: null },
          data: { usedAt: now },
        });
        if (used.count !== 1) return null;
        await this.audit.record(tx, meta, {
          action: 'admin.recovery_code.used',
          outcome: 'success',
          actor: { id: admin.id, tier: 'admin' },
          details: { remaining: await tx.recoveryCode.count({ where: { adminId: admin.id, usedAt: null } }) },
        });
      }
      await tx.administrator.update({ where: { id: admin.id }, data: { failedAttempts: 0, lockedUntil: null } });
      const { familyId, refreshToken } = await this.refreshTokens.start(tx, {
        tier: 'admin',
        subjectId: admin.id,
        clientId: null,
        orgId: null,
        scope: scopes.join(' '),
      });
      await this.audit.record(tx, meta, {
        action: 'admin.login.mfa',
        outcome: 'success',
        actor: { id: admin.id, tier: 'admin' },
        details: { factor: acceptedStep !== null ? 'totp' : 'recovery_code' },
      });
      const ttlS = this.config.accessTokenTtlS;
      const issued = await this.issuer.issue(
        meta,
        {
          kind: 'admin_login',
          subject: { tier: 'admin', id: admin.id },
          scopes,
          ttlS,
          refreshToken,
          audit: {
            action: 'token.issued',
            target: { type: 'administrator', id: admin.id },
            details: { tier: 'admin', scope: scopes.join(' '), expires_in: ttlS, refresh_family: familyId },
          },
        },
        tx,
      );
      return issued.response as AdminTokens;
    });
    if (result === null) {
      await this.throttle.fail(meta, account, 'admin.login.mfa', 'code or session already used');
      throw mfaFailed();
    }
    return result;
  }
}
