import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Problems, type AppPrincipal } from '@gatehouse/core';
import { REVOCATION_FEED_SCOPE } from '@gatehouse/verifier';
import { Access } from '../http/public.decorator';
import { Caller } from '../http/request-meta.decorator';
import { RevocationFeedService } from './revocation-feed.service';

const CURSOR = /^\d{1,18}$/;

/**
 * The revocation feed for downstream verifiers (libs/verifier polls it): revoked jtis and
 * per-principal "valid after" marks since a cursor. An application token with the
 * `gatehouse:revocations` scope reads its own organization's revocations only — another
 * tenant's IDs never leave (docs/architecture.md#tenant-scoping).
 */
@ApiTags('revocations')
@ApiBearerAuth()
@Controller('v1/revocations')
export class RevocationsController {
  constructor(private readonly feed: RevocationFeedService) {}

  @Get()
  @Access({ tiers: ['app'], scopes: [REVOCATION_FEED_SCOPE] })
  @ApiQuery({ name: 'since', required: false, description: 'next_cursor of the previous answer; omit to start' })
  @ApiOkResponse({
    description:
      'Changes after the cursor, oldest first. Apply idempotently: recent changes are sent again until they ' +
      'settle. A token is revoked when its jti is listed, or when its iat is at or before a valid_after of its ' +
      'sub, org_id or client_id.',
    schema: {
      type: 'object',
      required: ['revoked_tokens', 'principal_revocations', 'access_stops', 'next_cursor', 'has_more'],
      properties: {
        revoked_tokens: {
          type: 'array',
          items: {
            type: 'object',
            properties: { jti: { type: 'string' }, expires_at: { type: 'string', format: 'date-time' } },
          },
        },
        principal_revocations: {
          type: 'array',
          items: {
            type: 'object',
            properties: { subject_id: { type: 'string' }, valid_after: { type: 'string', format: 'date-time' } },
          },
        },
        access_stops: {
          type: 'array',
          description:
            'Org- or app-wide stops (a pause, an inactive contract) and their lifting, oldest first: while the ' +
            'latest entry for a subject says stopped, refuse tokens whose org_id or client_id is that subject.',
          items: {
            type: 'object',
            properties: {
              subject_id: { type: 'string' },
              stopped: { type: 'boolean' },
              reason: { type: 'string', nullable: true },
            },
          },
        },
        next_cursor: { type: 'string', description: 'pass as `since` next time' },
        has_more: { type: 'boolean', description: 'another page is ready now' },
      },
    },
  })
  list(@Caller() p: AppPrincipal, @Query('since') since?: string) {
    if (since !== undefined && !CURSOR.test(since)) {
      throw Problems.validation([{ path: 'since', message: 'must be a next_cursor from this endpoint' }]);
    }
    return this.feed.page(p.orgId, BigInt(since ?? '0'));
  }
}
