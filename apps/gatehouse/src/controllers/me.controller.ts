import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@gatehouse/core';
import { Access } from '../http/public.decorator';
import { Caller } from '../http/request-meta.decorator';

@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  /** The calling token's principal, for any tier (an enrolment-only admin token included). */
  @Get()
  @Access({ tiers: ['admin', 'app', 'user'], scopes: [] })
  me(@Caller() p: Principal) {
    switch (p.tier) {
      case 'admin':
        return {
          tier: 'admin',
          id: p.id,
          email: p.email,
          role: p.role,
          org_ids: p.orgIds,
          scopes: p.scopes,
          jti: p.jti,
        };
      case 'app':
        return {
          tier: 'app',
          id: p.id,
          client_id: p.id,
          org: p.orgName,
          org_id: p.orgId,
          scopes: p.scopes,
          jti: p.jti,
        };
      case 'user':
        return {
          tier: 'user',
          id: p.id,
          client_id: p.clientId,
          org: p.orgName,
          org_id: p.orgId,
          scopes: p.scopes,
          jti: p.jti,
        };
    }
  }
}
