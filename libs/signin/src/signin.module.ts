import { Module } from '@nestjs/common';
import { DirectoryModule } from '@gatehouse/directory';
import { AdminAuthService } from './admin-auth.service';
import { EnrolmentFlow } from './admin-auth/enrolment';
import { MfaStepFlow } from './admin-auth/mfa-step';
import { PasswordStepFlow } from './admin-auth/password-step';
import { AdminSessionFlow } from './admin-auth/session';
import { SignInThrottle } from './admin-auth/sign-in-throttle';
import { SignInInteractionRepository } from './interactions/sign-in-interaction.repository';
import { UserAuthService } from './user-auth.service';
import { LinkMailer } from './mail/link-mail';
import { MailService } from './mail/mail.service';
import { FlowLimits } from './user-flows/flow-limits';
import { PasswordResetFlow } from './user-flows/password-reset';
import { UserTotpFactor } from './factors/user-totp.factor';
import { MyMfaService } from './user-flows/my-mfa';
import { UserMfaStep } from './user-flows/user-mfa-step';

/**
 * Sign-in (docs/architecture.md#sign-in): the layer above directory, control and oauth that
 * composes them, so no controller has to. The control layer's module is global; the
 * directory's is imported for the administrators' recovery codes.
 */
@Module({
  imports: [DirectoryModule],
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
  ],
  exports: [AdminAuthService, UserAuthService, MailService, PasswordResetFlow, UserMfaStep, MyMfaService],
})
export class SignInModule {}
