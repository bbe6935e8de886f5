import { Injectable } from '@nestjs/common';
import { RevocationFeedRepository } from './revocation-feed.repository';

/** Rows whose change is older than this are committed in sequence order (see changesSince). */
export const FEED_SETTLE_S = 10;
const PAGE = 1000;

export interface RevocationFeedPage {
  revoked_tokens: { jti: string; expires_at: string }[];
  principal_revocations: { subject_id: string; valid_after: string }[];
  /** Org- or app-wide stops and their lifting (docs/control.md#offline); apply the latest per subject. */
  access_stops: { subject_id: string; stopped: boolean; reason: string | null }[];
  next_cursor: string;
  has_more: boolean;
}

/**
 * GET /v1/revocations: what a downstream verifier needs to refuse revoked tokens offline.
 *
 * Sequence values are taken when a row is written but become visible at commit, so a
 * reader could see seq 8 before seq 7 commits. The cursor therefore only moves past rows
 * written at least FEED_SETTLE_S ago (by then every smaller value has committed, as the
 * writes are short single-statement or small transactions); newer rows are sent at once
 * and sent again on the next poll, which a verifier applies idempotently. A revocation
 * thus reaches a poller on its next poll, and is never skipped.
 */
@Injectable()
export class RevocationFeedService {
  constructor(private readonly repo: RevocationFeedRepository) {}

  async page(orgId: string, since: bigint): Promise<RevocationFeedPage> {
    const rows = await this.repo.changesSince(orgId, since, PAGE, FEED_SETTLE_S);
    let cursor = since;
    for (const r of rows) if (r.settled) cursor = BigInt(r.seq);
    return {
      revoked_tokens: rows
        .filter((r) => r.kind === 'token')
        .map((r) => ({ jti: r.id, expires_at: r.at.toISOString() })),
      principal_revocations: rows
        .filter((r) => r.kind === 'mark')
        .map((r) => ({ subject_id: r.id, valid_after: r.at.toISOString() })),
      access_stops: rows
        .filter((r) => r.kind === 'stop')
        .map((r) => ({ subject_id: r.id, stopped: r.stopped === true, reason: r.reason })),
      next_cursor: cursor.toString(),
      // A full page of rows too new to pass stays one page until they settle.
      has_more: rows.length === PAGE && cursor > since,
    };
  }
}
