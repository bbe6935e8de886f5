import { Module } from '@nestjs/common';
import { AdminAuthService } from './admin-auth.service';
import { AdminService } from './admin.service';
import { AppSecretService } from './app-secret.service';
import { AppService } from './app.service';
import { IntrospectionService } from './introspection.service';
import { OrgAccess } from './org-access';
import { OrgService } from './org.service';
import { PrincipalResolver } from './principal-resolver';
import { PrincipalRevocationService } from './principal-revocation.service';
import { UserAuthService } from './user-auth.service';
import { UserService } from './user.service';
import { SessionTerminator } from './session-terminator';

const services = [
  OrgAccess,
  OrgService,
  AppService,
  AppSecretService,
  UserService,
  AdminService,
  AdminAuthService,
  PrincipalResolver,
  UserAuthService,
  IntrospectionService,
  PrincipalRevocationService,
  SessionTerminator,
];

@Module({ providers: services, exports: services })
export class DirectoryModule {}
