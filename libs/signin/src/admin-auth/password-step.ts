import { Injectable } from '@nestjs/common';
import { MFA_ENROLL_SCOPE, Problems } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { PasswordHasher } from '@gatehouse/credentials';
import { TokenIssuer } from '@gatehouse/tokens';
import { SignInInteractionRepository } from '../interactions/sign-in-interaction.repository';
import { SignInThrottle } from './sign-in-throttle';

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export const MFA_CHALLENGE_TTL_S = 300;
export const ENROLLMENT_TOKEN_TTL_S = 600;

export type PasswordStep =
  | { mfa_token: string; expires_in: number }
  | { mfa_enrollment_required: true; access_token: string; token_type: 'Bearer'; expires_in: number; scope: string };

/**
 * Admin sign-in, first step: the password. Before enrolment the only thing a password buys
 * is an enrolment-only token (`mfa:enroll`); after it, a single-use `mfa_token` for the
 * second step: the handle of an `admin_mfa` interaction with the password step done. Failures count per submitted email before the account is looked up.
 */
@Injectable()
export class PasswordStepFlow {
  constructor(
    private readonly prisma: PrismaService,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
    private readonly throttle: SignInThrottle,
    private readonly issuer: TokenIssuer,
    private readonly interactions: SignInInteractionRepository,
  ) {}

  async login(meta: RequestMeta, email: string, password: string): Promise<PasswordStep> {
    await this.throttle.limitAddress(meta);
    if (CONTROL_CHARACTERS.test(email)) {
      // PostgreSQL refuses a NUL, and no administrator's email holds a control character: a
      // failed attempt like any other (counted under the escaped text, audited), then a 400.
      const account = { unknownEmail: JSON.stringify(email.trim().toLowerCase()) };
      await this.throttle.refuseIfLocked(meta, account, 'password');
      await this.throttle.fail(meta, account, 'admin.login.password', 'invalid input');
      throw Problems.validation([{ path: 'email', message: 'must not contain control characters' }]);
    }
    const normalised = email.trim().toLowerCase();
    const admin = await this.prisma.administrator.findUnique({ where: { email: normalised } });
    const account = admin ? { adminId: admin.id, lockedUntil: admin.lockedUntil } : { unknownEmail: normalised };
    await this.throttle.refuseIfLocked(meta, account, 'password');
    const ok = await this.passwords.verify(password, admin?.passwordHash);
    if (!admin || !ok) {
      await this.throttle.fail(meta, account, 'admin.login.password', admin ? 'wrong password' : 'unknown account');
      throw Problems.invalidCredentials();
    }
    if (!admin.mfaActive) {
      const { response } = await this.prisma.transaction(async (tx) => {
        await this.audit.record(tx, meta, {
          action: 'admin.login.password',
          outcome: 'success',
          actor: { id: admin.id, tier: 'admin' },
          details: { next: 'mfa_enrollment' },
        });
        return this.issuer.issue(
          meta,
          {
            kind: 'admin_mfa_enrollment',
            subject: { tier: 'admin', id: admin.id },
            scopes: [MFA_ENROLL_SCOPE],
            ttlS: ENROLLMENT_TOKEN_TTL_S,
            audit: {
              action: 'token.issued',
              target: { type: 'administrator', id: admin.id },
              details: { tier: 'admin', scope: MFA_ENROLL_SCOPE, expires_in: ENROLLMENT_TOKEN_TTL_S },
            },
          },
          tx,
        );
      });
      return {
        mfa_enrollment_required: true,
        access_token: response.access_token,
        token_type: 'Bearer',
        expires_in: response.expires_in,
        scope: response.scope,
      };
    }
    const mfaToken = await this.prisma.transaction(async (tx) => {
      const { handle } = await this.interactions.create(
        { kind: 'admin_mfa', subjectId: admin.id, stepsDone: ['password'], ttlS: MFA_CHALLENGE_TTL_S },
        tx,
      );
      await this.audit.record(tx, meta, {
        action: 'admin.login.password',
        outcome: 'success',
        actor: { id: admin.id, tier: 'admin' },
        details: { next: 'mfa' },
      });
      return handle;
    });
    return { mfa_token: mfaToken, expires_in: MFA_CHALLENGE_TTL_S };
  }
}
