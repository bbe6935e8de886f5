import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { ApprovalService, ControlService, reasonTable, SimulationService } from '@gatehouse/control';
import { Problems, type Principal } from '@gatehouse/core';
import { OrgAccess } from '@gatehouse/directory';
import type { z } from 'zod';
import {
  deleteEntitlementQuery,
  packageName,
  putApprovalRules,
  putBilling,
  putContract,
  putEntitlement,
  putPackageMap,
  reviewRequest,
  simulate,
} from '../http/control-schemas';
import { OrgId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { ZodPipe } from '../http/zod.pipe';

/** The control layer's state of one org (docs/control.md#api): contract, billing, entitlements, approval rules. */
@ApiTags('control')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId')
export class ControlController {
  constructor(
    private readonly access: OrgAccess,
    private readonly control: ControlService,
    private readonly simulation: SimulationService,
    private readonly approvals: ApprovalService,
  ) {}

  /** The whole state and the decision it implies now. */
  @Get('control')
  async get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    await this.access.resolve(p, orgId);
    return this.control.view(orgId);
  }

  /** Dry run: what a proposed change would stop (apps, users, routes), before anyone applies it. */
  @Post('control/simulate')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(simulate) })
  async simulate(
    @Caller() p: Principal,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(simulate)) body: z.infer<typeof simulate>,
  ) {
    await this.access.resolve(p, orgId);
    return this.simulation.run(orgId, body);
  }

  /**
   * An org admin asks the operator to review operator-owned state (contract, billing,
   * entitlements, package map, a pause the operator imposed): 201 with the approval request
   * the operator sees in `GET …/approvals` (docs/control.md#who-changes-what).
   */
  @Post('control/review-requests')
  @ApiBody({ schema: jsonSchema(reviewRequest) })
  async requestReview(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(reviewRequest)) body: z.infer<typeof reviewRequest>,
  ) {
    await this.access.resolve(p, orgId);
    if (p.tier !== 'admin') throw Problems.forbidden('Only an administrator of the organization asks for a review.');
    return this.approvals.requestReview(p, meta, orgId, body);
  }

  @Put('contract')
  @ApiBody({ schema: jsonSchema(putContract) })
  async contract(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(putContract)) body: z.infer<typeof putContract>,
  ) {
    await this.access.resolve(p, orgId);
    return this.control.setContract(p, meta, orgId, body);
  }

  @Put('billing')
  @ApiBody({ schema: jsonSchema(putBilling) })
  async billing(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(putBilling)) body: z.infer<typeof putBilling>,
  ) {
    await this.access.resolve(p, orgId);
    return this.control.setBilling(p, meta, orgId, body);
  }

  @Put('entitlements/:package')
  @ApiBody({ schema: jsonSchema(putEntitlement) })
  async entitle(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('package', new ZodPipe(packageName)) pkg: string,
    @Body(new ZodPipe(putEntitlement)) body: z.infer<typeof putEntitlement>,
  ) {
    await this.access.resolve(p, orgId);
    return this.control.setEntitlement(p, meta, orgId, pkg, body);
  }

  @Delete('entitlements/:package')
  @HttpCode(204)
  async unentitle(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('package', new ZodPipe(packageName)) pkg: string,
    @Query(new ZodPipe(deleteEntitlementQuery)) q: z.infer<typeof deleteEntitlementQuery>,
  ) {
    await this.access.resolve(p, orgId);
    await this.control.removeEntitlement(p, meta, orgId, pkg, q.reason);
  }

  /** Scopes and routes that need a package; replaces the whole map (docs/control.md#package-map). */
  @Put('package-map')
  @ApiBody({ schema: jsonSchema(putPackageMap) })
  async packageMap(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(putPackageMap)) body: z.infer<typeof putPackageMap>,
  ) {
    await this.access.resolve(p, orgId);
    return this.control.setPackageMap(p, meta, orgId, body);
  }

  /** Actions that need an operator's approval, and the contract's last days in which app writes do. */
  @Put('approval-rules')
  @ApiBody({ schema: jsonSchema(putApprovalRules) })
  async approvalRules(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(putApprovalRules)) body: z.infer<typeof putApprovalRules>,
  ) {
    await this.access.resolve(p, orgId);
    return this.control.setApprovalRules(p, meta, orgId, body);
  }
}

/** The closed reason table: code, status, message, recovery. */
@ApiTags('control')
@ApiBearerAuth()
@Controller('v1/control')
export class ControlReasonsController {
  @Get('reasons')
  reasons() {
    return { data: reasonTable() };
  }
}
