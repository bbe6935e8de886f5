import { Global, Module } from '@nestjs/common';
import { AuditLog } from './audit-log';
import { AuditService } from './audit.service';

@Global()
@Module({ providers: [AuditService, AuditLog], exports: [AuditService, AuditLog] })
export class AuditModule {}
