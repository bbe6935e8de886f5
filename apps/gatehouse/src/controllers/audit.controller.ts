import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuditLog } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { OrgAccess } from '@gatehouse/directory';
import type { z } from 'zod';
import { Caller } from '../http/request-meta.decorator';
import { auditQuery } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';
import { ApiAnswer } from '../http/response-schemas';

/**
 * The audit log (docs/audit-events.md), oldest first, paged by `next_cursor`.
 * Platform administrators see every event; an org administrator sees the events of its
 * orgs only (`org_id` among them), so sign-ins, key events and other orgs' events stay
 * hidden — asking for another org's events returns an empty page, never an error that
 * would confirm the org exists.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(
    private readonly log: AuditLog,
    private readonly access: OrgAccess,
  ) {}

  @Get()
  @ApiAnswer('AuditEventPage')
  @ApiQuery({ name: 'org', required: false, description: 'org_… ID' })
  @ApiQuery({ name: 'actor', required: false, description: 'adm_…, app_…, usr_…, or cli / system' })
  @ApiQuery({ name: 'action', required: false, description: 'exact action name, e.g. token.issued' })
  @ApiQuery({ name: 'target', required: false, description: 'target ID (org, app, user, key, family…)' })
  @ApiQuery({ name: 'outcome', required: false, enum: ['success', 'failure'] })
  @ApiQuery({ name: 'since', required: false, description: 'RFC 3339; events at or after' })
  @ApiQuery({ name: 'until', required: false, description: 'RFC 3339; events before' })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  list(@Caller() p: Principal, @Query(new ZodPipe(auditQuery)) q: z.infer<typeof auditQuery>) {
    return this.log.page(
      {
        visibleOrgIds: this.access.visibleOrgIds(p),
        orgId: q.org,
        actorId: q.actor,
        action: q.action,
        targetId: q.target,
        outcome: q.outcome,
        since: q.since,
        until: q.until,
      },
      { limit: q.limit, cursor: q.cursor },
    );
  }
}
