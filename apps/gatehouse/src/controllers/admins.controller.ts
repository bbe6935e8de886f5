import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { PrincipalRevocationService } from '@gatehouse/directory';
import { IdPipe } from '../http/id.pipe';
import { Caller, Meta } from '../http/request-meta.decorator';

const AdminId = new IdPipe('admin', 'administrator');

@ApiTags('admin sessions')
@ApiBearerAuth()
@Controller('v1/admins')
export class AdminsController {
  constructor(private readonly revocations: PrincipalRevocationService) {}

  /**
   * Ends every session of an administrator: its access tokens issued up to now stop
   * working at once and its refresh families end. Itself: any administrator; another:
   * platform administrators only.
   */
  @Post(':adminId/revoke-tokens')
  @HttpCode(200)
  revokeTokens(@Caller() p: Principal, @Meta() meta: RequestMeta, @Param('adminId', AdminId) adminId: string) {
    return this.revocations.revokeAdmin(p, meta, adminId);
  }
}
