import { Global, Module } from '@nestjs/common';
import { AuditLog } from './audit-log';
import { AuditService } from './audit.service';
import { RateLimitAudit } from './rate-limit-audit';

@Global()
@Module({ providers: [AuditService, AuditLog, RateLimitAudit], exports: [AuditService, AuditLog, RateLimitAudit] })
export class AuditModule {}
