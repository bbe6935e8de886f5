import { Module } from '@nestjs/common';
import { AdminAuthService } from './admin-auth.service';
import { EnrolmentFlow } from './admin-auth/enrolment';
import { MfaStepFlow } from './admin-auth/mfa-step';
import { PasswordStepFlow } from './admin-auth/password-step';
import { AdminSessionFlow } from './admin-auth/session';
import { SignInThrottle } from './admin-auth/sign-in-throttle';
import { AdminService } from './admin.service';
import { AppSecretService } from './app-secret.service';
import { AppService } from './app.service';
import { OrgAccess } from './org-access';
import { OrgService } from './org.service';
import { PrincipalRevocationService } from './principal-revocation.service';
import { UserAuthService } from './user-auth.service';
import { UserService } from './user.service';
import { SessionTerminator } from './session-terminator';
import { ManagedTokenService } from './managed-token.service';
import { AnomalyReviewService } from './anomaly-review.service';
import { ClientRegistrationService } from './client-registration.service';
import { ResourceRepository } from './resources/resource.repository';
import { ResourceService } from './resources/resource.service';

const services = [
  OrgAccess,
  OrgService,
  AppService,
  AppSecretService,
  UserService,
  AdminService,
  AdminAuthService,
  SignInThrottle,
  PasswordStepFlow,
  MfaStepFlow,
  EnrolmentFlow,
  AdminSessionFlow,
  UserAuthService,
  PrincipalRevocationService,
  SessionTerminator,
  ManagedTokenService,
  AnomalyReviewService,
  ResourceRepository,
  ResourceService,
  ClientRegistrationService,
];

@Module({ providers: services, exports: services })
export class DirectoryModule {}
