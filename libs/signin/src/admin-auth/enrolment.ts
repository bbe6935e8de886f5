import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, ProblemError, Problems, type AdminPrincipal, type Clock } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { generateRecoveryCodes, SecretBox, Totp } from '@gatehouse/credentials';
import { AdminService } from '@gatehouse/directory';
import { mfaFailed } from './mfa-step';
import { SignInThrottle } from './sign-in-throttle';

const alreadyActive = () =>
  new ProblemError(409, 'mfa_already_active', 'MFA already active', {
    detail: 'This administrator already has an active second factor.',
  });

/** TOTP enrolment: start (or restart, while not yet active), then activate with a first code. */
@Injectable()
export class EnrolmentFlow {
  constructor(
    private readonly prisma: PrismaService,
    private readonly box: SecretBox,
    private readonly totp: Totp,
    private readonly audit: AuditService,
    private readonly throttle: SignInThrottle,
    private readonly admins: AdminService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async enroll(
    meta: RequestMeta,
    principal: AdminPrincipal,
  ): Promise<{ secret: string; otpauth_uri: string; qr_svg: string }> {
    const admin = await this.prisma.administrator.findUnique({ where: { id: principal.id } });
    if (!admin) throw Problems.notFound('administrator');
    if (admin.mfaActive) throw alreadyActive();
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
    if (admin.mfaActive) throw alreadyActive();
    const account = { adminId: admin.id, lockedUntil: admin.lockedUntil };
    await this.throttle.refuseIfLocked(meta, account, 'mfa');
    if (!admin.totpSecretEnc) {
      throw new ProblemError(409, 'conflict', 'Enrolment not started', {
        detail: 'Call POST /v1/admin/mfa/enroll first.',
      });
    }
    const secret = this.box.open(admin.totpSecretEnc, `totp:${admin.id}`).toString('utf8');
    const check = await this.totp.check(secret, code, null, now.getTime());
    if (!check.valid) {
      await this.throttle.fail(meta, account, 'admin.mfa.activated', 'invalid code');
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
}
