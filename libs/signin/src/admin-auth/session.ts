import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, ProblemError, Problems, type AdminPrincipal, type GatehouseConfig } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { RefreshTokenService, SessionRotation } from '@gatehouse/tokens';
import type { AdminTokens } from './mfa-step';

const refreshFailed = () =>
  new ProblemError(400, 'invalid_grant', 'Refresh token rejected', {
    detail: 'The refresh token is invalid, expired or revoked.',
  });

/** An admin session after sign-in: refresh (rotate-and-issue, shared with the refresh grant) and sign-out. */
@Injectable()
export class AdminSessionFlow {
  constructor(
    private readonly prisma: PrismaService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly sessions: SessionRotation,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async refresh(meta: RequestMeta, presented: string): Promise<AdminTokens> {
    const ttlS = this.config.accessTokenTtlS;
    const response = await this.sessions.rotate(
      meta,
      presented,
      { tier: 'admin', clientId: null },
      async (family, tx) => {
        const [admin] = await tx.query<{ id: string; mfa_active: boolean }>(
          'SELECT id, mfa_active FROM administrators WHERE id = $1',
          [family.subjectId],
        );
        if (!admin || !admin.mfa_active) return { invalid: 'administrator gone' };
        const scopes = family.scope.split(' ');
        return {
          issue: {
            kind: 'admin_login',
            subject: { tier: 'admin', id: admin.id },
            scopes,
            ttlS,
            audit: {
              action: 'token.refreshed',
              target: { type: 'refresh_family', id: family.familyId },
              details: { tier: 'admin', scope: scopes.join(' '), expires_in: ttlS },
            },
          },
        };
      },
      refreshFailed,
    );
    return response as AdminTokens;
  }

  /** Ends the caller's refresh family. Unknown tokens or another admin's are ignored (RFC 7009 spirit). */
  async logout(meta: RequestMeta, principal: AdminPrincipal, presented: string): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      const family = await this.refreshTokens.revokeFamily(tx, presented, 'logout');
      const own = family && family.subjectId === principal.id && family.tier === 'admin';
      if (family && !own) throw Problems.forbidden('This refresh token belongs to another principal.');
      await this.audit.record(tx, meta, {
        action: 'admin.logout',
        outcome: 'success',
        actor: principal,
        jti: principal.jti,
        target: family ? { type: 'refresh_family', id: family.familyId } : null,
        reason: family ? null : 'unknown refresh token',
      });
    });
  }
}
