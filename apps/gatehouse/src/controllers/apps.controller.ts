import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { PrincipalRevocationService, AppSecretService, AppService } from '@gatehouse/directory';
import type { z } from 'zod';
import { AppId, OrgId, SecretId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { createApp, createSecret, searchPageQuery, updateApp } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';
import { ApiAnswer } from '../http/response-schemas';

@ApiTags('applications')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/apps')
export class AppsController {
  constructor(
    private readonly apps: AppService,
    private readonly secrets: AppSecretService,
    private readonly revocations: PrincipalRevocationService,
  ) {}

  /** Returns client_id and client_secret; the secret is never shown again. */
  @Post()
  @ApiBody({ schema: jsonSchema(createApp) })
  create(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(createApp)) body: z.infer<typeof createApp>,
  ) {
    return this.apps.create(p, meta, orgId, body);
  }

  @Get()
  @ApiAnswer('AppPage')
  @ApiQuery({
    name: 'q',
    required: false,
    description: 'search: name or ID (client_id) contains this (case-insensitive), or the ID equals it',
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
    return this.apps.list(p, orgId, q);
  }

  @Get(':appId')
  @ApiAnswer('App')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('appId', AppId) appId: string) {
    return this.apps.get(p, orgId, appId);
  }

  @Patch(':appId')
  @ApiBody({ schema: jsonSchema(updateApp) })
  update(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) appId: string,
    @Body(new ZodPipe(updateApp)) body: z.infer<typeof updateApp>,
  ) {
    return this.apps.update(p, meta, orgId, appId, body);
  }

  @Delete(':appId')
  @HttpCode(204)
  async remove(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) appId: string,
  ) {
    await this.apps.remove(p, meta, orgId, appId);
  }

  /** Rotation: adds a secret (shown once); `previous_expires_in_s` sets an expiry on the others. */
  @Post(':appId/secrets')
  @ApiBody({ schema: jsonSchema(createSecret) })
  createSecret(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) appId: string,
    @Body(new ZodPipe(createSecret)) body: z.infer<typeof createSecret>,
  ) {
    return this.secrets.create(p, meta, orgId, appId, body);
  }

  /** Ids and dates only; a secret is never shown after creation. */
  @Get(':appId/secrets')
  listSecrets(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('appId', AppId) appId: string) {
    return this.secrets.list(p, orgId, appId);
  }

  @Delete(':appId/secrets/:secretId')
  @HttpCode(204)
  async revokeSecret(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) appId: string,
    @Param('secretId', SecretId) secretId: string,
  ) {
    await this.secrets.revoke(p, meta, orgId, appId, secretId);
  }

  /** Kills every token of this app issued up to now (for an app: its user tokens too). */
  @Post(':appId/revoke-tokens')
  @HttpCode(200)
  revokeTokens(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) id: string,
  ) {
    return this.revocations.revokeAll(p, meta, orgId, { kind: 'app', id });
  }
}
