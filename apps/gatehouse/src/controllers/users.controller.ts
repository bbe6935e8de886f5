import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { PrincipalRevocationService, UserService } from '@gatehouse/directory';
import { UserAuthService } from '@gatehouse/signin';
import type { z } from 'zod';
import { OrgId, UserId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Public } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { createUser, searchPageQuery, updateUser, userLogin, userLoginPolicy } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/users')
export class UsersController {
  constructor(
    private readonly users: UserService,
    private readonly auth: UserAuthService,
    private readonly revocations: PrincipalRevocationService,
  ) {}

  /** User sign-in through one of the org's apps → user access token + refresh token. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(userLogin) })
  login(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(userLogin)) body: z.infer<typeof userLogin>,
  ) {
    return this.auth.login(meta, orgId, body);
  }

  /**
   * The policy step (docs/control.md#policy): the `policy_token` a sign-in stopped by an
   * unaccepted policy answered with, and the version accepted → the same tokens as a sign-in.
   * The acceptance is the one `POST /v1/me/policy-acceptances` records.
   */
  @Public()
  @Post('login/policy')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(userLoginPolicy) })
  loginPolicy(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(userLoginPolicy)) body: z.infer<typeof userLoginPolicy>,
  ) {
    return this.auth.completePolicyStep(meta, orgId, body);
  }

  @Post()
  @ApiBody({ schema: jsonSchema(createUser) })
  create(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(createUser)) body: z.infer<typeof createUser>,
  ) {
    return this.users.create(p, meta, orgId, body);
  }

  @Get()
  @ApiQuery({
    name: 'q',
    required: false,
    description: 'search: email or ID contains this (case-insensitive), or the ID equals it',
  })
  @ApiQuery({
    name: 'order',
    required: false,
    enum: ['oldest', 'newest'],
    description: 'creation order; default oldest',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page (same order and q)' })
  list(
    @Caller() p: Principal,
    @Param('orgId', OrgId) orgId: string,
    @Query(new ZodPipe(searchPageQuery)) q: z.infer<typeof searchPageQuery>,
  ) {
    return this.users.list(p, orgId, q);
  }

  @Get(':userId')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('userId', UserId) userId: string) {
    return this.users.get(p, orgId, userId);
  }

  @Patch(':userId')
  @ApiBody({ schema: jsonSchema(updateUser) })
  update(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) userId: string,
    @Body(new ZodPipe(updateUser)) body: z.infer<typeof updateUser>,
  ) {
    return this.users.update(p, meta, orgId, userId, body);
  }

  @Delete(':userId')
  @HttpCode(204)
  async remove(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) userId: string,
  ) {
    await this.users.remove(p, meta, orgId, userId);
  }

  /** Kills every token of this user issued up to now (for an app: its user tokens too). */
  @Post(':userId/revoke-tokens')
  @HttpCode(200)
  revokeTokens(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) id: string,
  ) {
    return this.revocations.revokeAll(p, meta, orgId, { kind: 'user', id });
  }
}
