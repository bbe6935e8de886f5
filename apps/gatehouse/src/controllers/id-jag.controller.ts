import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { IdJagSettingsService } from '@gatehouse/directory';
import type { z } from 'zod';
import { IdJagAudienceId, OrgId, TrustedIssuerId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { createIdJagAudience, createTrustedIssuer } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';

/** Identity providers an organization trusts for ID-JAGs (docs/id-jag.md#trusted-issuers). */
@ApiTags('id-jag')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/trusted-issuers')
export class TrustedIssuersController {
  constructor(private readonly settings: IdJagSettingsService) {}

  @Post()
  @ApiBody({ schema: jsonSchema(createTrustedIssuer) })
  create(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(createTrustedIssuer)) body: z.infer<typeof createTrustedIssuer>,
  ) {
    return this.settings.createIssuer(p, meta, orgId, body);
  }

  @Get()
  list(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    return this.settings.listIssuers(p, orgId);
  }

  @Get(':issuerId')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('issuerId', TrustedIssuerId) id: string) {
    return this.settings.getIssuer(p, orgId, id);
  }

  @Delete(':issuerId')
  @HttpCode(204)
  async remove(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('issuerId', TrustedIssuerId) id: string,
  ) {
    await this.settings.removeIssuer(p, meta, orgId, id);
  }
}

/** Authorization servers an organization's apps may obtain ID-JAGs for (docs/id-jag.md#audiences). */
@ApiTags('id-jag')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/id-jag-audiences')
export class IdJagAudiencesController {
  constructor(private readonly settings: IdJagSettingsService) {}

  @Post()
  @ApiBody({ schema: jsonSchema(createIdJagAudience) })
  create(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(createIdJagAudience)) body: z.infer<typeof createIdJagAudience>,
  ) {
    return this.settings.createAudience(p, meta, orgId, body);
  }

  @Get()
  list(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    return this.settings.listAudiences(p, orgId);
  }

  @Get(':audienceId')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('audienceId', IdJagAudienceId) id: string) {
    return this.settings.getAudience(p, orgId, id);
  }

  @Delete(':audienceId')
  @HttpCode(204)
  async remove(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('audienceId', IdJagAudienceId) id: string,
  ) {
    await this.settings.removeAudience(p, meta, orgId, id);
  }
}
