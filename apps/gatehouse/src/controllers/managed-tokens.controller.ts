import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { ManagedTokenService } from '@gatehouse/directory';
import type { z } from 'zod';
import { OrgId, UserId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Access } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { managedTokenHosts } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';

const USER_ONLY = { tiers: ['user' as const], scopes: [] };

/** Managed bearer tokens (docs/managed-tokens.md): the user's own, and an org admin's view. */
@ApiTags('managed-tokens')
@ApiBearerAuth()
@Controller('v1')
export class ManagedTokensController {
  constructor(private readonly managed: ManagedTokenService) {}

  /** Creates the caller's managed token, or regenerates it (the old one stops at once). */
  @Post('me/managed-token')
  @Access(USER_ONLY)
  @ApiBody({ schema: jsonSchema(managedTokenHosts) })
  create(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Body(new ZodPipe(managedTokenHosts)) body: z.infer<typeof managedTokenHosts>,
  ) {
    return this.managed.create(p, meta, body.hosts);
  }

  @Get('me/managed-token')
  @Access(USER_ONLY)
  mine(@Caller() p: Principal) {
    return this.managed.mine(p);
  }

  @Delete('me/managed-token')
  @Access(USER_ONLY)
  @HttpCode(204)
  async revokeMine(@Caller() p: Principal, @Meta() meta: RequestMeta) {
    await this.managed.revokeMine(p, meta);
  }

  @Get('orgs/:orgId/users/:userId/managed-token')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('userId', UserId) userId: string) {
    return this.managed.get(p, orgId, userId);
  }

  /** An org admin changes the approved hosts. */
  @Patch('orgs/:orgId/users/:userId/managed-token')
  @ApiBody({ schema: jsonSchema(managedTokenHosts) })
  setHosts(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) userId: string,
    @Body(new ZodPipe(managedTokenHosts)) body: z.infer<typeof managedTokenHosts>,
  ) {
    return this.managed.setHosts(p, meta, orgId, userId, body.hosts);
  }

  @Delete('orgs/:orgId/users/:userId/managed-token')
  @HttpCode(204)
  async revoke(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) userId: string,
  ) {
    await this.managed.revokeForUser(p, meta, orgId, userId);
  }
}
