import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { OrgService, PrincipalRevocationService } from '@gatehouse/directory';
import type { z } from 'zod';
import { OrgId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { createOrg, searchPageQuery, updateOrg } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';
import { ApiAnswer } from '../http/response-schemas';

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('v1/orgs')
export class OrgsController {
  constructor(
    private readonly orgs: OrgService,
    private readonly revocations: PrincipalRevocationService,
  ) {}

  /** Kills every app and user token of the org issued up to now, and their refresh families. */
  @Post(':orgId/revoke-tokens')
  @HttpCode(200)
  revokeTokens(@Caller() p: Principal, @Meta() meta: RequestMeta, @Param('orgId', OrgId) orgId: string) {
    return this.revocations.revokeAll(p, meta, orgId, { kind: 'org' });
  }

  @Post()
  @ApiBody({ schema: jsonSchema(createOrg) })
  create(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Body(new ZodPipe(createOrg)) body: z.infer<typeof createOrg>,
  ) {
    return this.orgs.create(p, meta, body);
  }

  @Get()
  @ApiAnswer('OrgPage')
  @ApiQuery({
    name: 'q',
    required: false,
    description: 'search: name (slug), display name or ID contains this (case-insensitive), or the ID equals it',
  })
  @ApiQuery({
    name: 'order',
    required: false,
    enum: ['oldest', 'newest'],
    description: 'creation order; default oldest',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page (same order and q)' })
  list(@Caller() p: Principal, @Query(new ZodPipe(searchPageQuery)) q: z.infer<typeof searchPageQuery>) {
    return this.orgs.list(p, q);
  }

  @Get(':orgId')
  @ApiAnswer('Org')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    return this.orgs.get(p, orgId);
  }

  @Patch(':orgId')
  @ApiBody({ schema: jsonSchema(updateOrg) })
  update(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(updateOrg)) body: z.infer<typeof updateOrg>,
  ) {
    return this.orgs.update(p, meta, orgId, body);
  }

  @Delete(':orgId')
  @HttpCode(204)
  async remove(@Caller() p: Principal, @Meta() meta: RequestMeta, @Param('orgId', OrgId) orgId: string) {
    await this.orgs.remove(p, meta, orgId);
  }
}
