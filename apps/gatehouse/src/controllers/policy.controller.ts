import { Body, Controller, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { PolicyService } from '@gatehouse/control';
import type { Principal, UserPrincipal } from '@gatehouse/core';
import { OrgAccess } from '@gatehouse/directory';
import type { z } from 'zod';
import { policyAcceptance, putPolicy } from '../http/control-schemas';
import { OrgId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Access } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { ZodPipe } from '../http/zod.pipe';

/** The policy an org requires, and its acceptance for the org's apps (docs/control.md#policy). */
@ApiTags('control')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/policy')
export class PolicyController {
  constructor(
    private readonly access: OrgAccess,
    private readonly policy: PolicyService,
  ) {}

  /** `required_version: null` requires no policy any more. */
  @Put()
  @ApiBody({ schema: jsonSchema(putPolicy) })
  async require(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(putPolicy)) body: z.infer<typeof putPolicy>,
  ) {
    await this.access.resolve(p, orgId);
    return this.policy.require(p, meta, orgId, body);
  }

  /** An org admin accepts the required version for the org's apps. */
  @Post('acceptances')
  @ApiBody({ schema: jsonSchema(policyAcceptance) })
  async acceptForApps(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(policyAcceptance)) body: z.infer<typeof policyAcceptance>,
  ) {
    await this.access.resolve(p, orgId);
    return this.policy.accept(p, meta, orgId, body.version, 'apps');
  }
}

/** A user accepts the required version for itself (the one route a pending policy leaves open). */
@ApiTags('control')
@ApiBearerAuth()
@Controller('v1/me/policy-acceptances')
export class MyPolicyController {
  constructor(private readonly policy: PolicyService) {}

  @Post()
  @Access({ tiers: ['user'], scopes: [] })
  @ApiBody({ schema: jsonSchema(policyAcceptance) })
  accept(
    @Caller() p: UserPrincipal,
    @Meta() meta: RequestMeta,
    @Body(new ZodPipe(policyAcceptance)) body: z.infer<typeof policyAcceptance>,
  ) {
    return this.policy.accept(p, meta, p.orgId, body.version, 'self');
  }
}
