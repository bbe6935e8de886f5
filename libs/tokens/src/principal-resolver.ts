import { Injectable } from '@nestjs/common';
import { ADMIN_SCOPE, DEFAULT_TOKEN_RATE_LIMIT, MFA_ENROLL_SCOPE, Problems, type Principal } from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { actorChain } from '@gatehouse/verifier';
import type { AccessTokenClaims } from './claims';
import { appLiveness, userLiveness } from './liveness';

interface AdminRow {
  id: string;
  email: string;
  role: 'platform' | 'org';
  mfa_active: boolean;
  org_ids: string[];
}

interface AppRow {
  app_id: string | null;
  app_org_id: string | null;
  app_disabled: boolean | null;
  org_name: string | null;
  rate_limit_requests: number;
  rate_limit_per_seconds: number;
}

interface UserAppRow extends AppRow {
  user_id: string | null;
  user_org_id: string | null;
  user_disabled: boolean | null;
  /** A self-registered client's standing in the user's org: known to it, and whether blocked. */
  ext_known: boolean | null;
  ext_blocked: boolean | null;
}

/**
 * Turns verified claims into a principal from live state (docs/architecture.md#principal-liveness).
 * A token outlives nothing it names: a deleted org, app or user, a disabled app or user, or
 * an admin removed from the directory makes every token of theirs useless at once; the rule
 * itself is liveness.ts, shared with sign-in, refresh and client authentication.
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
        // A step token's subject app (sub) and the app it was issued to (client_id) differ;
        // both must be live. Its rate limit is the presenting client's.
        const rows = await this.sql.query<AppRow>(
          `SELECT a.id AS app_id, a.org_id AS app_org_id, a.disabled AS app_disabled, o.name AS org_name,
                  a.rate_limit_requests, a.rate_limit_per_seconds
             FROM applications a JOIN organizations o ON o.id = a.org_id
            WHERE a.id = ANY($1)`,
          [[claims.sub, claims.client_id]],
        );
        const subject = rows.find((r) => r.app_id === claims.sub);
        const client = rows.find((r) => r.app_id === claims.client_id);
        const live = (r: AppRow | undefined) => appLiveness(appRecord(r), claims.org_id).live;
        if (!subject || !client || !live(subject) || !live(client))
          throw Problems.invalidToken('The application is gone or disabled.');
        return {
          tier: 'app',
          id: subject.app_id!,
          orgId: subject.app_org_id!,
          orgName: subject.org_name!,
          scopes,
          jti: claims.jti,
          rateLimit: { requests: client.rate_limit_requests, perSeconds: client.rate_limit_per_seconds },
          ...delegation(claims),
        };
      }
      case 'user': {
        const [row] = await this.sql.query<UserAppRow>(
          `SELECT u.id AS user_id, u.org_id AS user_org_id, u.disabled AS user_disabled,
                  a.id AS app_id, a.org_id AS app_org_id, a.disabled AS app_disabled, o.name AS org_name,
                  a.rate_limit_requests, a.rate_limit_per_seconds,
                  x.client_id IS NOT NULL AS ext_known, x.blocked_at IS NOT NULL AS ext_blocked
             FROM users u
             JOIN organizations o ON o.id = u.org_id
             LEFT JOIN applications a ON a.id = $2
             LEFT JOIN org_external_clients x ON x.org_id = u.org_id AND x.client_id = $2
            WHERE u.id = $1`,
          [claims.sub, claims.client_id],
        );
        const user = row?.user_id ? { orgId: row.user_org_id!, disabled: row.user_disabled! } : null;
        // A self-registered client (docs/client-registration.md#revocation-and-introspection) is
        // no app: it lives in the user's org while the org knows it and has not blocked it.
        const app =
          appRecord(row) ??
          (row?.ext_known && claims.client_id
            ? { id: claims.client_id, orgId: row.user_org_id!, disabled: row.ext_blocked! }
            : null);
        if (!row || !app || !userLiveness(user, app, claims.org_id).live)
          throw Problems.invalidToken('The user or its application is gone or disabled.');
        return {
          tier: 'user',
          id: row.user_id!,
          orgId: app.orgId,
          orgName: row.org_name!,
          clientId: app.id,
          scopes,
          jti: claims.jti,
          rateLimit:
            row.rate_limit_requests === null
              ? DEFAULT_TOKEN_RATE_LIMIT
              : { requests: row.rate_limit_requests, perSeconds: row.rate_limit_per_seconds },
          ...(claims.auth_time !== undefined ? { authTime: claims.auth_time } : {}),
          ...delegation(claims),
        };
      }
    }
  }
}

function appRecord(row: AppRow | undefined): { id: string; orgId: string; disabled: boolean } | null {
  return row?.app_id ? { id: row.app_id, orgId: row.app_org_id!, disabled: row.app_disabled! } : null;
}

function delegation(claims: AccessTokenClaims): { step?: string; actors?: string[] } {
  return claims.act ? { step: claims.step, actors: actorChain(claims.act) } : {};
}
