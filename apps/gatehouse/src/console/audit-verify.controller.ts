import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditLog } from '@gatehouse/audit';
import { Problems, type AdminPrincipal } from '@gatehouse/core';
import { Caller } from '../http/request-meta.decorator';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit/verify')
export class AuditVerifyController {
  constructor(private readonly log: AuditLog) {}

  /**
   * The walk behind `gatehouse audit verify` (docs/audit-events.md): recomputes every hash
   * of the chain. The whole chain spans every org, so only platform administrators run it.
   */
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify the audit hash chain (platform administrators)' })
  verify(@Caller() admin: AdminPrincipal) {
    if (admin.role !== 'platform') throw Problems.forbidden('Only platform administrators verify the audit chain.');
    return this.log.verify();
  }
}
