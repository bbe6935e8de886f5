import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { AnomalyReviewService } from '@gatehouse/directory';
import type { z } from 'zod';
import { IdPipe, OrgId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { anomalyNote, anomalyPolicy, anomalyQuery, anomalySettings } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';

const AnomalyId = new IdPipe('anomaly', 'anomaly');

/** Anomaly review (docs/managed-tokens.md#anomaly-review), for administrators. */
@ApiTags('anomalies')
@ApiBearerAuth()
@Controller('v1')
export class AnomaliesController {
  constructor(private readonly review: AnomalyReviewService) {}

  @Get('anomalies')
  list(@Caller() p: Principal, @Query(new ZodPipe(anomalyQuery)) q: z.infer<typeof anomalyQuery>) {
    return this.review.list(p, q);
  }

  @Get('anomalies/settings')
  settings(@Caller() p: Principal) {
    return this.review.settings(p);
  }

  @Put('anomalies/settings')
  @ApiBody({ schema: jsonSchema(anomalySettings) })
  changeSettings(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Body(new ZodPipe(anomalySettings)) body: z.infer<typeof anomalySettings>,
  ) {
    return this.review.changeSettings(p, meta, body);
  }

  @Get('anomalies/:id')
  get(@Caller() p: Principal, @Param('id', AnomalyId) id: string) {
    return this.review.get(p, id);
  }

  @Post('anomalies/:id/acknowledge')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(anomalyNote) })
  acknowledge(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('id', AnomalyId) id: string,
    @Body(new ZodPipe(anomalyNote)) body: z.infer<typeof anomalyNote>,
  ) {
    return this.review.resolve(p, meta, id, 'acknowledged', body.note);
  }

  /** Lifts the suspension the flag caused. */
  @Post('anomalies/:id/clear')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(anomalyNote) })
  clear(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('id', AnomalyId) id: string,
    @Body(new ZodPipe(anomalyNote)) body: z.infer<typeof anomalyNote>,
  ) {
    return this.review.resolve(p, meta, id, 'cleared', body.note);
  }

  /** Ends the managed token the flag is about. */
  @Post('anomalies/:id/revoke')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(anomalyNote) })
  revoke(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('id', AnomalyId) id: string,
    @Body(new ZodPipe(anomalyNote)) body: z.infer<typeof anomalyNote>,
  ) {
    return this.review.resolve(p, meta, id, 'revoked', body.note);
  }

  @Get('orgs/:orgId/anomaly-policy')
  policy(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    return this.review.policy(p, orgId);
  }

  @Put('orgs/:orgId/anomaly-policy')
  @ApiBody({ schema: jsonSchema(anomalyPolicy) })
  setPolicy(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(anomalyPolicy)) body: z.infer<typeof anomalyPolicy>,
  ) {
    return this.review.setPolicy(p, meta, orgId, body.auto_suspend);
  }
}
