import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Problems, type Clock } from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { OrgStateRepository } from './org-state.repository';
import { simulate, type ProposedChange } from './simulate';

/** POST /v1/orgs/{orgId}/control/simulate: the dry run, over the org's live state and users. */
@Injectable()
export class SimulationService {
  constructor(
    private readonly repo: OrgStateRepository,
    private readonly sql: SqlPool,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(orgId: string, change: ProposedChange) {
    const state = await this.repo.load(orgId);
    if (!state) throw Problems.notFound('organization');
    // Which apps each user signs in through: the clients of its live refresh families.
    const users = await this.sql.query<{ id: string; email: string; client_ids: string[] }>(
      `SELECT u.id, u.email, COALESCE(array_agg(DISTINCT f.client_id) FILTER (WHERE f.client_id IS NOT NULL), '{}') AS client_ids
         FROM users u LEFT JOIN refresh_families f ON f.subject_id = u.id AND f.revoked_at IS NULL AND f.expires_at > now()
        WHERE u.org_id = $1 AND NOT u.disabled GROUP BY u.id, u.email ORDER BY u.id LIMIT 10000`,
      [orgId],
    );
    return simulate(
      state,
      change,
      users.map((u) => ({ id: u.id, email: u.email, clientIds: u.client_ids })),
      this.clock.now().getTime(),
    );
  }
}
