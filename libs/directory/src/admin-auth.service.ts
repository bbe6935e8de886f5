import { Inject, Injectable } from '@nestjs/common';
import {
  ADMIN_SCOPE,
  CLOCK,
  GATEHOUSE_CONFIG,
  MFA_ENROLL_SCOPE,
  newId,
  ProblemError,
  Problems,
  type AdminPrincipal,
  type Clock,
  type GatehouseConfig,
} from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, RefusalAudit, type RequestMeta } from '@gatehouse/audit';
import {
  generateRecoveryCodes,
  KEK,
  KeyedHasher,
  looksLikeRecoveryCode,
  normaliseRecoveryCode,
  PasswordHasher,
  randomSecret,
  SecretBox,
  Totp,
} from '@gatehouse/credentials';
import { RateLimiter, rateLimitHeaders, type RateLimitPolicy } from '@gatehouse/ratelimit';
import { AccessTokenService, RefreshTokenService } from '@gatehouse/tokens';
import { AdminService } from './admin.service';
import { recordFailure, secondsLocked } from './login-throttle';

/**
 * Both sign-in steps, per source address, across all accounts (ARCHITECTURE.md §6); the
 * per-account count is the lockout in login-throttle.ts. Generous for an office behind one
 * NAT address, far below what password spraying needs.
 */
export const ADMIN_LOGIN_PER_ADDRESS: RateLimitPolicy = { name: 'admin-login-address', limit: 60, windowS: 60 };

export const MFA_CHALLENGE_TTL_S = 300;
export const ENROLLMENT_TOKEN_TTL_S = 600;

export interface AdminTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

export type PasswordStep =
  | { mfa_token: string; expires_in: number }
  | { mfa_enrollment_required: true; access_token: string; token_type: 'Bearer'; expires_in: number; scope: string };

/** RFC-agnostic single answer for every second-factor failure, so none reveals which check failed. */
const mfaFailed = () =>
  new ProblemError(401, 'mfa_failed', 'Second factor rejected', {
    detail: 'The sign-in session or the code is not valid.',
  });
const refreshFailed = () =>
  new ProblemError(400, 'invalid_grant', 'Refresh token rejected', {
    detail: 'The refresh token is invalid, expired or revoked.',
  });

/**
 * Admin sign-in: password, then TOTP (or a one-time recovery code), then an access token
 * and a rotating refresh token. Every step is audited; every failure counts toward the
 * account's back-off and lockout.
 */
@Injectable()
export class AdminAuthService {
  private readonly challengeHasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly passwords: PasswordHasher,
    private readonly box: SecretBox,
    private readonly totp: Totp,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAudit,
    private readonly limiter: RateLimiter,
    private readonly admins: AdminService,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokenService,
    @Inject(KEK) kek: Buffer,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.challengeHasher = new KeyedHasher(kek, 'mfa-challenge');
  }

  async login(meta: RequestMeta, email: string, password: string): Promise<PasswordStep> {
    await this.limitAddress(meta);
    const now = this.clock.now();
    const admin = await this.prisma.administrator.findUnique({ where: { email: email.trim().toLowerCase() } });
    if (admin) await this.refuseIfLocked(meta, admin.id, admin.lockedUntil, 'password');
    const ok = await this.passwords.verify(password, admin?.passwordHash);
    if (!admin || !ok) {
      if (admin) await this.fail(meta, admin.id, 'admin.login.password', 'wrong password');
      else
        await this.audit.recordAlone(meta, {
          action: 'admin.login.password',
          outcome: 'failure',
          reason: 'unknown account',
        });
      throw Problems.invalidCredentials();
    }
    if (!admin.mfaActive) {
      // Before enrolment the only thing a password buys is the right to enrol.
      const minted = this.accessTokens.mint({
        tier: 'admin',
        sub: admin.id,
        scopes: [MFA_ENROLL_SCOPE],
        ttlS: ENROLLMENT_TOKEN_TTL_S,
      });
      await this.prisma.transaction(async (tx) => {
        await this.audit.record(tx, meta, {
          action: 'admin.login.password',
          outcome: 'success',
          actor: { id: admin.id, tier: 'admin' },
          details: { next: 'mfa_enrollment' },
        });
        await this.audit.record(tx, meta, {
          action: 'token.issued',
          outcome: 'success',
          actor: { id: admin.id, tier: 'admin' },
          target: { type: 'administrator', id: admin.id },
          jti: minted.jti,
          details: { tier: 'admin', scope: MFA_ENROLL_SCOPE, expires_in: ENROLLMENT_TOKEN_TTL_S },
        });
      });
      return {
        mfa_enrollment_required: true,
        access_token: minted.token,
        token_type: 'Bearer',
        expires_in: ENROLLMENT_TOKEN_TTL_S,
        scope: MFA_ENROLL_SCOPE,
      };
    }
    const mfaToken = randomSecret('ghm');
    await this.prisma.transaction(async (tx) => {
      await tx.loginChallenge.create({
        data: {
          id: newId('challenge'),
          adminId: admin.id,
          tokenHash: this.challengeHasher.hash(mfaToken),
          expiresAt: new Date(now.getTime() + MFA_CHALLENGE_TTL_S * 1000),
        },
      });
      await this.audit.record(tx, meta, {
        action: 'admin.login.password',
        outcome: 'success',
        actor: { id: admin.id, tier: 'admin' },
        details: { next: 'mfa' },
      });
    });
    return { mfa_token: mfaToken, expires_in: MFA_CHALLENGE_TTL_S };
  }

  async completeMfa(meta: RequestMeta, mfaToken: string, code: string): Promise<AdminTokens> {
    await this.limitAddress(meta);
    const now = this.clock.now();
    if (typeof mfaToken !== 'string' || !mfaToken.startsWith('ghm_')) throw mfaFailed();
    const challenge = await this.prisma.loginChallenge.findUnique({
      where: { tokenHash: this.challengeHasher.hash(mfaToken) },
      include: { admin: true },
    });
    if (!challenge || challenge.consumedAt || challenge.expiresAt <= now) {
      await this.audit.recordAlone(meta, {
        action: 'admin.login.mfa',
        outcome: 'failure',
        actor: challenge ? { id: challenge.adminId, tier: 'admin' } : null,
        reason: 'unknown, spent or expired mfa_token',
      });
      throw mfaFailed();
    }
    const admin = challenge.admin;
    await this.refuseIfLocked(meta, admin.id, admin.lockedUntil, 'mfa');
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
      await this.fail(meta, admin.id, 'admin.login.mfa', 'invalid code');
      throw mfaFailed();
    }

    const scopes = [ADMIN_SCOPE];
    const minted = this.accessTokens.mint({ tier: 'admin', sub: admin.id, scopes, ttlS: this.config.accessTokenTtlS });
    const result = await this.prisma.transaction(async (tx) => {
      // Conditional updates make the challenge, the time step and the recovery code
      // single-use even against concurrent requests carrying the same values.
      const consumed = await tx.loginChallenge.updateMany({
        where: { id: challenge.id, consumedAt: null },
        data: { consumedAt: now },
      });
      if (consumed.count !== 1) return null;
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
      await this.audit.record(tx, meta, {
        action: 'token.issued',
        outcome: 'success',
        actor: { id: admin.id, tier: 'admin' },
        target: { type: 'administrator', id: admin.id },
        jti: minted.jti,
        details: { tier: 'admin', scope: minted.claims.scope, expires_in: minted.expiresIn, refresh_family: familyId },
      });
      return refreshToken;
    });
    if (result === null) {
      await this.fail(meta, admin.id, 'admin.login.mfa', 'code or session already used');
      throw mfaFailed();
    }
    return {
      access_token: minted.token,
      token_type: 'Bearer',
      expires_in: minted.expiresIn,
      refresh_token: result,
      scope: minted.claims.scope,
    };
  }

  /** Starts (or restarts, while not yet active) TOTP enrolment. */
  async enroll(
    meta: RequestMeta,
    principal: AdminPrincipal,
  ): Promise<{ secret: string; otpauth_uri: string; qr_svg: string }> {
    const admin = await this.prisma.administrator.findUnique({ where: { id: principal.id } });
    if (!admin) throw Problems.notFound('administrator');
    if (admin.mfaActive) {
      throw new ProblemError(409, 'mfa_already_active', 'MFA already active', {
        detail: 'This administrator already has an active second factor.',
      });
    }
    const secret = this.totp.newSecret();
    const uri = this.totp.uri(secret, admin.email);
    await this.prisma.transaction(async (tx) => {
      await tx.administrator.update({
        where: { id: admin.id },
        data: { totpSecretEnc: this.box.seal(secret, `totp:${admin.id}`), totpLastStep: null },
      });
      await this.audit.record(tx, meta, {
        action: 'admin.mfa.enrolled',
        outcome: 'success',
        actor: principal,
        jti: principal.jti,
      });
    });
    return { secret, otpauth_uri: uri, qr_svg: await this.totp.qrSvg(uri) };
  }

  async activate(meta: RequestMeta, principal: AdminPrincipal, code: string): Promise<{ recovery_codes: string[] }> {
    const now = this.clock.now();
    const admin = await this.prisma.administrator.findUnique({ where: { id: principal.id } });
    if (!admin) throw Problems.notFound('administrator');
    if (admin.mfaActive) {
      throw new ProblemError(409, 'mfa_already_active', 'MFA already active', {
        detail: 'This administrator already has an active second factor.',
      });
    }
    await this.refuseIfLocked(meta, admin.id, admin.lockedUntil, 'mfa');
    if (!admin.totpSecretEnc) {
      throw new ProblemError(409, 'conflict', 'Enrolment not started', {
        detail: 'Call POST /v1/admin/mfa/enroll first.',
      });
    }
    const secret = this.box.open(admin.totpSecretEnc, `totp:${admin.id}`).toString('utf8');
    const check = await this.totp.check(secret, code, null, now.getTime());
    if (!check.valid) {
      await this.fail(meta, admin.id, 'admin.mfa.activated', 'invalid code');
      throw mfaFailed();
    }
    const codes = generateRecoveryCodes();
    await this.prisma.transaction(async (tx) => {
      await tx.administrator.update({
        where: { id: admin.id },
        data: { mfaActive: true, totpLastStep: check.timeStep, failedAttempts: 0, lockedUntil: null },
      });
      await this.admins.storeRecoveryCodes(tx, admin.id, codes);
      await this.audit.record(tx, meta, {
        action: 'admin.mfa.activated',
        outcome: 'success',
        actor: principal,
        jti: principal.jti,
        details: { recovery_code_count: codes.length },
      });
    });
    return { recovery_codes: codes };
  }

  async refresh(meta: RequestMeta, presented: string): Promise<AdminTokens> {
    let minted: ReturnType<AccessTokenService['mint']> | null = null;
    const outcome = await this.prisma.transaction(async (tx) => {
      const r = await this.refreshTokens.rotate(tx, presented, 'admin');
      if (r.kind === 'reused') {
        await this.audit.record(tx, meta, {
          action: 'token.refresh_reuse_detected',
          outcome: 'failure',
          actor: { id: r.family.subjectId, tier: 'admin' },
          target: { type: 'refresh_family', id: r.family.familyId },
          reason: 'a spent refresh token was presented; the family is revoked',
        });
        return r;
      }
      if (r.kind === 'invalid') return r;
      const admin = await tx.administrator.findUnique({ where: { id: r.family.subjectId } });
      if (!admin || !admin.mfaActive)
        return { kind: 'invalid' as const, reason: 'administrator gone', family: r.family };
      minted = this.accessTokens.mint({
        tier: 'admin',
        sub: admin.id,
        scopes: r.family.scope.split(' '),
        ttlS: this.config.accessTokenTtlS,
      });
      await this.audit.record(tx, meta, {
        action: 'token.refreshed',
        outcome: 'success',
        actor: { id: admin.id, tier: 'admin' },
        target: { type: 'refresh_family', id: r.family.familyId },
        jti: minted.jti,
        details: { tier: 'admin', scope: minted.claims.scope, expires_in: minted.expiresIn },
      });
      return r;
    });
    if (outcome.kind !== 'rotated' || !minted) {
      if (outcome.kind === 'invalid') {
        await this.audit.recordAlone(meta, {
          action: 'token.refreshed',
          outcome: 'failure',
          actor: outcome.family ? { id: outcome.family.subjectId, tier: 'admin' } : null,
          reason: outcome.reason,
        });
      }
      throw refreshFailed();
    }
    const m = minted as ReturnType<AccessTokenService['mint']>;
    return {
      access_token: m.token,
      token_type: 'Bearer',
      expires_in: m.expiresIn,
      refresh_token: outcome.refreshToken,
      scope: m.claims.scope,
    };
  }

  /** Ends the caller's refresh family. Unknown tokens or another admin's are ignored (RFC 7009 spirit). */
  async logout(meta: RequestMeta, principal: AdminPrincipal, presented: string): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      const family = await this.refreshTokens.revokeFamily(tx, presented, 'logout');
      const own = family && family.subjectId === principal.id && family.tier === 'admin';
      if (family && !own) throw Problems.forbidden('This refresh token belongs to another principal.');
      await this.audit.record(tx, meta, {
        action: 'admin.logout',
        outcome: 'success',
        actor: principal,
        jti: principal.jti,
        target: family ? { type: 'refresh_family', id: family.familyId } : null,
        reason: family ? null : 'unknown refresh token',
      });
    });
  }

  private async limitAddress(meta: RequestMeta): Promise<void> {
    const key = `admin-login:addr:${meta.sourceIp ?? 'unknown'}`;
    const r = await this.limiter.check(key, ADMIN_LOGIN_PER_ADDRESS);
    if (r.allowed) return;
    await this.refusals.rateLimited(meta, { key, policy: ADMIN_LOGIN_PER_ADDRESS, retryAfterS: r.retryAfterS });
    throw Problems.rateLimited(rateLimitHeaders(r), r.retryAfterS);
  }

  private async refuseIfLocked(
    meta: RequestMeta,
    adminId: string,
    lockedUntil: Date | null,
    step: string,
  ): Promise<void> {
    const wait = secondsLocked(lockedUntil, this.clock.now());
    if (wait > 0) {
      await this.audit.recordAlone(meta, {
        action: 'admin.login.locked',
        outcome: 'failure',
        actor: { id: adminId, tier: 'admin' },
        reason: `${step} attempt while locked`,
        details: { retry_after_s: wait },
      });
      throw Problems.locked(wait);
    }
  }

  private async fail(
    meta: RequestMeta,
    adminId: string,
    action: 'admin.login.password' | 'admin.login.mfa' | 'admin.mfa.activated',
    reason: string,
  ) {
    await this.prisma.transaction(async (tx) => {
      const { failures, lockedForS } = await recordFailure(tx, adminId, this.clock.now());
      await this.audit.record(tx, meta, {
        action,
        outcome: 'failure',
        actor: { id: adminId, tier: 'admin' },
        reason,
        details: { consecutive_failures: failures, locked_for_s: lockedForS },
      });
    });
  }
}
