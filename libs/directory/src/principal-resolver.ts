import { Injectable } from '@nestjs/common';
import { ADMIN_SCOPE, DEFAULT_TOKEN_RATE_LIMIT, MFA_ENROLL_SCOPE, Problems, type Principal } from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import type { AccessTokenClaims } from '@gatehouse/tokens';

interface AdminRow {
  id: string;
  email: string;
  role: 'platform' | 'org';
  mfa_active: boolean;
  org_ids: string[];
}

interface AppRow {
  id: string;
  org_id: string;
  org_name: string;
  rate_limit_requests: number;
  rate_limit_per_seconds: number;
}

/**
 * Turns verified claims into a principal from live state. A token outlives nothing it
 * names: a deleted org, app or user, a disabled app or user, or an admin removed from
 * the directory makes every token of theirs useless at once.
 * This runs on every bearer request, so each tier is one plain SQL round trip (SqlPool:
 * Prisma 7 adds 5–8 ms per query here).
 */
@Injectable()
export class PrincipalResolver {
  constructor(private readonly sql: SqlPool) {}

  async resolve(claims: AccessTokenClaims): Promise<Principal> {
    const scopes = claims.scope.split(' ').filter(Boolean);
    switch (claims.tier) {
      case 'admin': {
        if (!claims.sub.startsWith('adm_')) throw Problems.invalidToken('The token subject is not an administrator.');
        const [admin] = await this.sql.query<AdminRow>(
          `SELECT a.id, a.email, a.role, a.mfa_active,
                  coalesce(array_agg(m.org_id) FILTER (WHERE m.org_id IS NOT NULL), '{}') AS org_ids
             FROM administrators a LEFT JOIN admin_org_memberships m ON m.admin_id = a.id
            WHERE a.id = $1 GROUP BY a.id`,
          [claims.sub],
        );
        if (!admin) throw Problems.invalidToken('The administrator no longer exists.');
        const allowed = admin.mfa_active ? [ADMIN_SCOPE] : [MFA_ENROLL_SCOPE];
        if (!scopes.every((s) => allowed.includes(s)))
          throw Problems.invalidToken('The token scope is no longer valid.');
        return {
          tier: 'admin',
          id: admin.id,
          email: admin.email,
          role: admin.role,
          rateLimit: DEFAULT_TOKEN_RATE_LIMIT,
          orgIds: admin.org_ids,
          scopes,
          jti: claims.jti,
        };
      }
      case 'app': {
        const app = await this.liveApp(claims.client_id, claims.org_id);
        if (!app || claims.sub !== app.id) throw Problems.invalidToken('The application is gone or disabled.');
        return {
          tier: 'app',
          id: app.id,
          orgId: app.org_id,
          orgName: app.org_name,
          scopes,
          jti: claims.jti,
          rateLimit: { requests: app.rate_limit_requests, perSeconds: app.rate_limit_per_seconds },
        };
      }
      case 'user': {
        const [row] = await this.sql.query<AppRow & { user_id: string }>(
          `SELECT u.id AS user_id, a.id, a.org_id, o.name AS org_name, a.rate_limit_requests, a.rate_limit_per_seconds
             FROM users u
             JOIN applications a ON a.id = $2 AND a.org_id = u.org_id AND NOT a.disabled
             JOIN organizations o ON o.id = u.org_id
            WHERE u.id = $1 AND u.org_id = $3 AND NOT u.disabled`,
          [claims.sub, claims.client_id, claims.org_id],
        );
        if (!row) throw Problems.invalidToken('The user or its application is gone or disabled.');
        return {
          tier: 'user',
          id: row.user_id,
          orgId: row.org_id,
          orgName: row.org_name,
          clientId: row.id,
          scopes,
          jti: claims.jti,
          rateLimit: { requests: row.rate_limit_requests, perSeconds: row.rate_limit_per_seconds },
        };
      }
    }
  }

  private async liveApp(appId: string | undefined, orgId: string | undefined): Promise<AppRow | undefined> {
    const [app] = await this.sql.query<AppRow>(
      `SELECT a.id, a.org_id, o.name AS org_name, a.rate_limit_requests, a.rate_limit_per_seconds
         FROM applications a JOIN organizations o ON o.id = a.org_id
        WHERE a.id = $1 AND a.org_id = $2 AND NOT a.disabled`,
      [appId, orgId],
    );
    return app;
  }
}
