import { Module } from '@nestjs/common';
import { AdminService } from './admin.service';
import { AppSecretService } from './app-secret.service';
import { AppService } from './app.service';
import { OrgAccess } from './org-access';
import { OrgService } from './org.service';
import { PrincipalRevocationService } from './principal-revocation.service';
import { UserService } from './user.service';
import { SessionTerminator } from './session-terminator';
import { ManagedTokenService } from './managed-token.service';
import { AnomalyReviewService } from './anomaly-review.service';
import { ClientRegistrationService } from './client-registration.service';
import { ResourceRepository } from './resources/resource.repository';
import { ResourceService } from './resources/resource.service';
import { BrandingService } from './sign-in/branding.service';
import { SignInSettingsService } from './sign-in/sign-in-settings.service';
import { IdJagRepository } from './id-jag/id-jag.repository';
import { IdJagSettingsService } from './id-jag/id-jag-settings.service';
import { PasskeyService } from './sign-in/passkey.service';

const services = [
  OrgAccess,
  OrgService,
  AppService,
  AppSecretService,
  UserService,
  AdminService,
  PrincipalRevocationService,
  SessionTerminator,
  ManagedTokenService,
  AnomalyReviewService,
  ResourceRepository,
  ResourceService,
  ClientRegistrationService,
  SignInSettingsService,
  BrandingService,
  IdJagRepository,
  IdJagSettingsService,
  PasskeyService,
];

@Module({ providers: services, exports: services })
export class DirectoryModule {}
