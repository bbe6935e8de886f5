import { Injectable } from '@nestjs/common';
import type { AdminPrincipal } from '@gatehouse/core';
import type { RequestMeta } from '@gatehouse/audit';
import { EnrolmentFlow } from './admin-auth/enrolment';
import { MfaStepFlow, type AdminTokens } from './admin-auth/mfa-step';
import { PasswordStepFlow, type PasswordStep } from './admin-auth/password-step';
import { AdminSessionFlow } from './admin-auth/session';

export { ADMIN_LOGIN_PER_ADDRESS } from './admin-auth/sign-in-throttle';
export { ENROLLMENT_TOKEN_TTL_S, MFA_CHALLENGE_TTL_S, type PasswordStep } from './admin-auth/password-step';
export type { AdminTokens } from './admin-auth/mfa-step';

/**
 * Admin sign-in and session, one entry point over its flows (admin-auth/): password, then
 * TOTP (or a one-time recovery code), then an access token and a rotating refresh token;
 * TOTP enrolment; refresh and sign-out. Every step is audited; every failure counts toward
 * the submitted email's back-off and lockout (admin-auth/sign-in-throttle.ts).
 */
@Injectable()
export class AdminAuthService {
  constructor(
    private readonly password: PasswordStepFlow,
    private readonly mfa: MfaStepFlow,
    private readonly enrolment: EnrolmentFlow,
    private readonly session: AdminSessionFlow,
  ) {}

  login(meta: RequestMeta, email: string, password: string): Promise<PasswordStep> {
    return this.password.login(meta, email, password);
  }

  completeMfa(meta: RequestMeta, mfaToken: string, code: string): Promise<AdminTokens> {
    return this.mfa.completeMfa(meta, mfaToken, code);
  }

  enroll(meta: RequestMeta, principal: AdminPrincipal) {
    return this.enrolment.enroll(meta, principal);
  }

  activate(meta: RequestMeta, principal: AdminPrincipal, code: string) {
    return this.enrolment.activate(meta, principal, code);
  }

  refresh(meta: RequestMeta, presented: string): Promise<AdminTokens> {
    return this.session.refresh(meta, presented);
  }

  logout(meta: RequestMeta, principal: AdminPrincipal, presented: string): Promise<void> {
    return this.session.logout(meta, principal, presented);
  }
}
