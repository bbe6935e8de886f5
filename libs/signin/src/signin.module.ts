import { Module } from '@nestjs/common';
import { DirectoryModule } from '@gatehouse/directory';
import { OAuthModule } from '@gatehouse/oauth';
import { AdminAuthService } from './admin-auth.service';
import { EnrolmentFlow } from './admin-auth/enrolment';
import { MfaStepFlow } from './admin-auth/mfa-step';
import { PasswordStepFlow } from './admin-auth/password-step';
import { AdminSessionFlow } from './admin-auth/session';
import { SignInThrottle } from './admin-auth/sign-in-throttle';
import { AuthorizationCompletion } from './browser/authorization-completion';
import { AuthorizationService } from './browser/authorization.service';
import { BrowserSessions } from './browser/browser-sessions';
import { Consents } from './browser/consents';
import { PasswordFactor } from './browser/factors/password.factor';
import { SecondFactorSetupFactor } from './browser/factors/second-factor-setup.factor';
import { TotpFactor } from './browser/factors/totp.factor';
import { BrowserPasskeys } from './browser/factors/browser-passkeys';
import { PasskeyFirstFactor, PasskeySecondFactor, PasskeySetupFactor } from './browser/factors/passkey.factors';
import { SIGN_IN_FACTORS, type SignInFactor } from './browser/factors/sign-in-factor';
import { SignInFlow } from './browser/sign-in-flow';
import { SignInInteractionRepository } from './interactions/sign-in-interaction.repository';
import { UserAuthService } from './user-auth.service';
import { LinkMailer } from './mail/link-mail';
import { MailService } from './mail/mail.service';
import { FlowLimits } from './user-flows/flow-limits';
import { PasswordResetFlow } from './user-flows/password-reset';
import { UserTotpFactor } from './factors/user-totp.factor';
import { MyMfaService } from './user-flows/my-mfa';
import { UserMfaStep } from './user-flows/user-mfa-step';
import { PasskeyFactor } from './factors/passkey.factor';
import { PasskeyFlows } from './user-flows/passkeys';
import { SignupFlow } from './user-flows/signup';
import { LinkStatus } from './user-flows/link-status';
import { InvitationFlow } from './user-flows/invitations';

/**
 * The factors of the hosted sign-in, in the order it asks for them (docs/sign-in.md#factors).
 * A new factor is a class implementing SignInFactor, listed here.
 */
const factors = [PasswordFactor, PasskeySecondFactor, TotpFactor, PasskeySetupFactor, SecondFactorSetupFactor];

/**
 * Sign-in (docs/architecture.md#sign-in): the layer above directory, control and oauth that
 * composes them, so no controller has to. The control layer's module is global; the
 * directory's is imported for the administrators' recovery codes, oauth's for the client
 * lookup and the authorization codes of browser sign-in.
 */
@Module({
  imports: [DirectoryModule, OAuthModule],
  providers: [
    AdminAuthService,
    SignInThrottle,
    PasswordStepFlow,
    MfaStepFlow,
    EnrolmentFlow,
    AdminSessionFlow,
    UserAuthService,
    SignInInteractionRepository,
    MailService,
    LinkMailer,
    FlowLimits,
    PasswordResetFlow,
    UserTotpFactor,
    UserMfaStep,
    MyMfaService,
    BrowserSessions,
    Consents,
    AuthorizationCompletion,
    AuthorizationService,
    SignInFlow,
    ...factors,
    { provide: SIGN_IN_FACTORS, inject: factors, useFactory: (...f: SignInFactor[]) => f },
    PasskeyFactor,
    PasskeyFlows,
    BrowserPasskeys,
    PasskeyFirstFactor,
    SignupFlow,
    InvitationFlow,
    LinkStatus,
  ],
  exports: [
    AdminAuthService,
    UserAuthService,
    MailService,
    PasswordResetFlow,
    UserMfaStep,
    MyMfaService,
    AuthorizationService,
    SignInFlow,
    BrowserSessions,
    Consents,
    PasskeyFlows,
    SignupFlow,
    InvitationFlow,
    LinkStatus,
  ],
})
export class SignInModule {}
