import { Injectable } from '@nestjs/common';
import { ADMIN_SCOPE, DEFAULT_TOKEN_RATE_LIMIT, MFA_ENROLL_SCOPE, Problems, type Principal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import type { AccessTokenClaims } from '@gatehouse/tokens';

/**
 * Turns verified claims into a principal from live state. A token outlives nothing it
 * names: a deleted org, app or user, a disabled app or user, or an admin removed from
 * the directory makes every token of theirs useless at once.
 */
@Injectable()
export class PrincipalResolver {
  constructor(private readonly prisma: PrismaService) {}

  async resolve(claims: AccessTokenClaims): Promise<Principal> {
    const scopes = claims.scope.split(' ').filter(Boolean);
    switch (claims.tier) {
      case 'admin': {
        if (!claims.sub.startsWith('adm_')) throw Problems.invalidToken('The token subject is not an administrator.');
        const admin = await this.prisma.administrator.findUnique({
          where: { id: claims.sub },
          select: { id: true, email: true, role: true, mfaActive: true, memberships: { select: { orgId: true } } },
        });
        if (!admin) throw Problems.invalidToken('The administrator no longer exists.');
        const allowed = admin.mfaActive ? [ADMIN_SCOPE] : [MFA_ENROLL_SCOPE];
        if (!scopes.every((s) => allowed.includes(s)))
          throw Problems.invalidToken('The token scope is no longer valid.');
        return {
          tier: 'admin',
          id: admin.id,
          email: admin.email,
          role: admin.role,
          rateLimit: DEFAULT_TOKEN_RATE_LIMIT,
          orgIds: admin.memberships.map((m) => m.orgId),
          scopes,
          jti: claims.jti,
        };
      }
      case 'app': {
        const app = await this.prisma.application.findFirst({
          where: { id: claims.sub, orgId: claims.org_id },
          select: {
            id: true,
            disabled: true,
            rateLimitRequests: true,
            rateLimitPerSeconds: true,
            org: { select: { id: true, name: true } },
          },
        });
        if (!app || app.disabled || claims.client_id !== app.id)
          throw Problems.invalidToken('The application is gone or disabled.');
        return {
          tier: 'app',
          id: app.id,
          orgId: app.org.id,
          orgName: app.org.name,
          scopes,
          jti: claims.jti,
          rateLimit: { requests: app.rateLimitRequests, perSeconds: app.rateLimitPerSeconds },
        };
      }
      case 'user': {
        const user = await this.prisma.user.findFirst({
          where: { id: claims.sub, orgId: claims.org_id },
          select: { id: true, disabled: true, org: { select: { id: true, name: true } } },
        });
        const app = await this.prisma.application.findFirst({
          where: { id: claims.client_id, orgId: claims.org_id, disabled: false },
          select: { id: true, rateLimitRequests: true, rateLimitPerSeconds: true },
        });
        if (!user || user.disabled || !app)
          throw Problems.invalidToken('The user or its application is gone or disabled.');
        return {
          tier: 'user',
          id: user.id,
          orgId: user.org.id,
          orgName: user.org.name,
          clientId: app.id,
          scopes,
          jti: claims.jti,
          rateLimit: { requests: app.rateLimitRequests, perSeconds: app.rateLimitPerSeconds },
        };
      }
    }
  }
}
