import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { ApprovalService } from '@gatehouse/control';
import type { Principal } from '@gatehouse/core';
import { OrgAccess } from '@gatehouse/directory';
import type { z } from 'zod';
import { approvalQuery, decideApproval } from '../http/control-schemas';
import { ApprovalId, OrgId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { ZodPipe } from '../http/zod.pipe';

/** Approval requests opened by review decisions (docs/control.md#approvals). */
@ApiTags('control')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/approvals')
export class ApprovalsController {
  constructor(
    private readonly access: OrgAccess,
    private readonly approvals: ApprovalService,
  ) {}

  @Get()
  async list(
    @Caller() p: Principal,
    @Param('orgId', OrgId) orgId: string,
    @Query(new ZodPipe(approvalQuery)) q: z.infer<typeof approvalQuery>,
  ) {
    await this.access.resolve(p, orgId);
    return this.approvals.list(orgId, q.state);
  }

  /** Allows the request once, for its subject, action and resource, until `use_by` (default 600 s). */
  @Post(':approvalId/approve')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(decideApproval) })
  async approve(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('approvalId', ApprovalId) id: string,
    @Body(new ZodPipe(decideApproval)) body: z.infer<typeof decideApproval>,
  ) {
    await this.access.resolve(p, orgId);
    return this.approvals.decide(p, meta, orgId, id, 'approve', body);
  }

  @Post(':approvalId/reject')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(decideApproval) })
  async reject(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('approvalId', ApprovalId) id: string,
    @Body(new ZodPipe(decideApproval)) body: z.infer<typeof decideApproval>,
  ) {
    await this.access.resolve(p, orgId);
    return this.approvals.decide(p, meta, orgId, id, 'reject', body);
  }
}
