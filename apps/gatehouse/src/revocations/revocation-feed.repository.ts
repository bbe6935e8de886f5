import { Injectable } from '@nestjs/common';
import { SqlPool } from '@gatehouse/db';

export interface FeedRow {
  seq: string;
  kind: 'token' | 'mark' | 'stop';
  id: string;
  at: Date;
  settled: boolean;
  /** Stops only (docs/control.md#offline): whether the org or app is stopped, and why. */
  stopped: boolean | null;
  reason: string | null;
}

/**
 * Revocation changes after a cursor, oldest first, for one organization: revoked jtis of
 * its apps' tokens (still unexpired), "valid after" marks on the org, its apps and its
 * users, and the org's and its apps' access stops (docs/control.md#offline) — including apps and users deleted since (the mark keeps its org_id). One round trip over the shared `revocation_feed_seq` order.
 */
@Injectable()
export class RevocationFeedRepository {
  constructor(private readonly sql: SqlPool) {}

  changesSince(orgId: string, since: bigint, limit: number, settleS: number): Promise<FeedRow[]> {
    return this.sql.query<FeedRow>(
      `WITH org_apps AS (SELECT id FROM applications WHERE org_id = $1),
       changes AS (
         SELECT seq, 'token' AS kind, jti AS id, expires_at AS at, feed_at, NULL::boolean AS stopped, NULL::text AS reason
           FROM revoked_tokens
          WHERE seq > $2 AND expires_at > now() AND client_id IN (SELECT id FROM org_apps)
         UNION ALL
         SELECT seq, 'mark', subject_id, valid_after, feed_at, NULL, NULL FROM principal_revocations
          WHERE seq > $2 AND org_id = $1
         UNION ALL
         SELECT seq, 'stop', subject_id, feed_at, feed_at, stopped, reason FROM access_stops
          WHERE seq > $2 AND org_id = $1
       )
       SELECT seq::text AS seq, kind, id, at, stopped, reason, feed_at < now() - make_interval(secs => $4) AS settled
         FROM changes ORDER BY seq LIMIT $3`,
      [orgId, since.toString(), limit, settleS],
    );
  }
}
