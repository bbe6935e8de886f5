import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { PauseService } from '@gatehouse/control';
import type { Principal } from '@gatehouse/core';
import { OrgAccess } from '@gatehouse/directory';
import { z } from 'zod';
import { createPause, resumePause } from '../http/control-schemas';
import { OrgId, PauseId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { ZodPipe } from '../http/zod.pipe';

const listQuery = z.strictObject({ state: z.enum(['active', 'all']).optional() });

/** Governance pauses (docs/control.md#pauses): pause the org, an app or a workflow; resume after review. */
@ApiTags('control')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/pauses')
export class PausesController {
  constructor(
    private readonly access: OrgAccess,
    private readonly pauses: PauseService,
  ) {}

  @Post()
  @ApiBody({ schema: jsonSchema(createPause) })
  async pause(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(createPause)) body: z.infer<typeof createPause>,
  ) {
    await this.access.resolve(p, orgId);
    return this.pauses.pause(p, meta, orgId, body);
  }

  /** Active pauses by default; `state=all` includes resumed ones. */
  @Get()
  async list(
    @Caller() p: Principal,
    @Param('orgId', OrgId) orgId: string,
    @Query(new ZodPipe(listQuery)) q: z.infer<typeof listQuery>,
  ) {
    await this.access.resolve(p, orgId);
    return this.pauses.list(orgId, q.state !== 'all');
  }

  @Post(':pauseId/resume')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(resumePause) })
  async resume(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('pauseId', PauseId) pauseId: string,
    @Body(new ZodPipe(resumePause)) body: z.infer<typeof resumePause>,
  ) {
    await this.access.resolve(p, orgId);
    return this.pauses.resume(p, meta, orgId, pauseId, body.review_note);
  }
}
