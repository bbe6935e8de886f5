import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { Consents } from '@gatehouse/signin';
import { AppId, OrgId, UserId } from '../http/id.pipe';
import { Caller, Meta } from '../http/request-meta.decorator';
import { ApiAnswer } from '../http/response-schemas';

/**
 * A user's remembered consents, for the org's administrators (docs/sign-in.md#consent): the
 * same shape as `/v1/me/consents`; forgetting one makes the next sign-in to that app ask again.
 */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/users/:userId/consents')
export class UserConsentsController {
  constructor(private readonly consents: Consents) {}

  @Get()
  @ApiAnswer('ConsentList')
  async list(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('userId', UserId) userId: string) {
    return { data: await this.consents.listForUser(p, orgId, userId) };
  }

  @Delete(':appId')
  @HttpCode(204)
  async revoke(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) userId: string,
    @Param('appId', AppId) appId: string,
  ) {
    await this.consents.revokeForUser(p, meta, orgId, userId, appId);
  }
}
