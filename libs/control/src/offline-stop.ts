import { Injectable } from '@nestjs/common';
import type { Tx } from '@gatehouse/db';

/**
 * Stops that offline verifiers must learn of (docs/control.md#offline): an org pause or a
 * suspended or expired contract stops the whole org, an app pause one app. After any change
 * to those, in its transaction, the org's stop rows in `access_stops` are recomputed from
 * the state itself; the revocation feed carries each change (stopped or not), so a verifier
 * refuses the org's or app's tokens within one poll and lets them through again after the
 * recovery. Online, the gate refuses with the reason, and nothing is revoked for good.
 */
@Injectable()
export class OfflineStop {
  async sync(tx: Tx, orgId: string): Promise<void> {
    await tx.$executeRaw`
      WITH org_stop AS (
        SELECT CASE
          WHEN EXISTS (SELECT 1 FROM governance_pauses WHERE org_id = ${orgId} AND target_type = 'org' AND resumed_at IS NULL)
            THEN 'governance_paused'
          WHEN EXISTS (SELECT 1 FROM org_controls WHERE org_id = ${orgId} AND contract_status IN ('suspended', 'expired'))
            THEN 'contract_inactive'
        END AS reason
      ),
      wanted AS (
        SELECT ${orgId}::text AS subject_id, reason FROM org_stop
        UNION ALL
        SELECT a.id, CASE WHEN EXISTS (SELECT 1 FROM governance_pauses g WHERE g.org_id = ${orgId}
                       AND g.target_type = 'app' AND g.target_id = a.id AND g.resumed_at IS NULL)
                     THEN 'governance_paused' END
          FROM applications a WHERE a.org_id = ${orgId}
      )
      INSERT INTO access_stops (subject_id, org_id, stopped, reason)
      SELECT w.subject_id, ${orgId}, w.reason IS NOT NULL, w.reason FROM wanted w
       WHERE w.reason IS NOT NULL OR EXISTS (SELECT 1 FROM access_stops s WHERE s.subject_id = w.subject_id)
      ON CONFLICT (subject_id) DO UPDATE SET stopped = EXCLUDED.stopped, reason = EXCLUDED.reason`;
  }
}
