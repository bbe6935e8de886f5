import { Global, Module } from '@nestjs/common';
import { AuditLog } from './audit-log';
import { AuditService } from './audit.service';
import { RefusalAudit } from './refusal-audit';

@Global()
@Module({ providers: [AuditService, AuditLog, RefusalAudit], exports: [AuditService, AuditLog, RefusalAudit] })
export class AuditModule {}
