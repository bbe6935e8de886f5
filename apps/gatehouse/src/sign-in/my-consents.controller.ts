import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { Problems, type Principal } from '@gatehouse/core';
import { Consents } from '@gatehouse/signin';
import { AppId } from '../http/id.pipe';
import { Access } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';

/**
 * A user's remembered consents (docs/sign-in.md#consent): listed, and forgotten per app, so
 * the next sign-in to it shows the consent page again.
 */
@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me/consents')
export class MyConsentsController {
  constructor(private readonly consents: Consents) {}

  @Get()
  @Access({ tiers: ['user'], scopes: [] })
  async list(@Caller() p: Principal) {
    if (p.tier !== 'user') throw Problems.forbidden('Consents belong to users.');
    return { data: await this.consents.list(p.id) };
  }

  @Delete(':appId')
  @HttpCode(204)
  @Access({ tiers: ['user'], scopes: [] })
  async revoke(@Caller() p: Principal, @Meta() meta: RequestMeta, @Param('appId', AppId) appId: string) {
    if (p.tier !== 'user') throw Problems.forbidden('Consents belong to users.');
    const gone = await this.consents.revoke(meta, { id: p.id, tier: 'user' }, { id: p.id, orgId: p.orgId }, appId);
    if (!gone) throw Problems.notFound('consent');
  }
}
