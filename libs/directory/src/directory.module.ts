import { Module } from '@nestjs/common';
import { AdminAuthService } from './admin-auth.service';
import { AdminService } from './admin.service';
import { AppService } from './app.service';
import { OrgAccess } from './org-access';
import { OrgService } from './org.service';
import { PrincipalResolver } from './principal-resolver';
import { UserService } from './user.service';

const services = [OrgAccess, OrgService, AppService, UserService, AdminService, AdminAuthService, PrincipalResolver];

@Module({ providers: services, exports: services })
export class DirectoryModule {}
