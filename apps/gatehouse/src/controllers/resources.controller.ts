import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { ClientRegistrationService, ResourceService } from '@gatehouse/directory';
import type { z } from 'zod';
import { OrgId, ResourceId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { clientRegistration, createResource, externalClientRef, pageQuery, updateResource } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';
import { ApiAnswer } from '../http/response-schemas';

/** Registered resources of an organization (docs/resources.md). */
@ApiTags('resources')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/resources')
export class ResourcesController {
  constructor(private readonly resources: ResourceService) {}

  @Post()
  @ApiBody({ schema: jsonSchema(createResource) })
  create(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(createResource)) body: z.infer<typeof createResource>,
  ) {
    return this.resources.create(p, meta, orgId, body);
  }

  @Get()
  list(
    @Caller() p: Principal,
    @Param('orgId', OrgId) orgId: string,
    @Query(new ZodPipe(pageQuery)) q: z.infer<typeof pageQuery>,
  ) {
    return this.resources.list(p, orgId, q);
  }

  @Get(':resourceId')
  @ApiAnswer('Resource')
  get(
    @Caller() p: Principal,
    @Param('orgId', OrgId) orgId: string,
    @Param('resourceId', ResourceId) resourceId: string,
  ) {
    return this.resources.get(p, orgId, resourceId);
  }

  /** `identifier` never changes; name, scopes and token_ttl_s (null clears it) do. */
  @Patch(':resourceId')
  @ApiBody({ schema: jsonSchema(updateResource) })
  update(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('resourceId', ResourceId) resourceId: string,
    @Body(new ZodPipe(updateResource)) body: z.infer<typeof updateResource>,
  ) {
    return this.resources.update(p, meta, orgId, resourceId, body);
  }

  /** 409 `resource_in_use` while applications name it in their audiences. */
  @Delete(':resourceId')
  @HttpCode(204)
  async remove(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('resourceId', ResourceId) resourceId: string,
  ) {
    await this.resources.remove(p, meta, orgId, resourceId);
  }
}

/** Dynamic client registration and Client ID Metadata Documents (docs/resources.md#client-registration). */
@ApiTags('organizations')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/client-registration')
export class ClientRegistrationController {
  constructor(private readonly registration: ClientRegistrationService) {}

  @Get()
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    return this.registration.get(p, orgId);
  }

  /** Replaces the whole policy. */
  @Put()
  @ApiBody({ schema: jsonSchema(clientRegistration) })
  put(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(clientRegistration)) body: z.infer<typeof clientRegistration>,
  ) {
    return this.registration.put(p, meta, orgId, body);
  }

  /** The self-registered clients the org has seen, consented to or blocked. */
  @Get('clients')
  @ApiAnswer('ExternalClientList')
  clients(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    return this.registration.listClients(p, orgId);
  }

  @Post('clients/block')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(externalClientRef) })
  block(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(externalClientRef)) body: z.infer<typeof externalClientRef>,
  ) {
    return this.registration.block(p, meta, orgId, body.client_id);
  }

  @Post('clients/unblock')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(externalClientRef) })
  unblock(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(externalClientRef)) body: z.infer<typeof externalClientRef>,
  ) {
    return this.registration.unblock(p, meta, orgId, body.client_id);
  }
}
