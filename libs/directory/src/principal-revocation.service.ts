import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Problems, type Clock, type Principal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess } from './org-access';

export type RevocationTarget = { kind: 'org' } | { kind: 'app'; id: string } | { kind: 'user'; id: string };

/**
 * Revoke everything of a principal at once, without listing tokens: a "valid after" mark on
 * the org, app or user (AccessTokenVerifier refuses tokens issued up to that second — for
 * an app that includes user tokens issued through it, for an org every app and user token),
 * and every live refresh family it covers is ended in the same transaction.
 */
@Injectable()
export class PrincipalRevocationService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async revokeAll(actor: Principal, meta: RequestMeta, orgId: string, target: RevocationTarget) {
    await this.access.resolve(actor, orgId);
    const subjectId = target.kind === 'org' ? orgId : target.id;
    if (target.kind === 'app' && !(await this.prisma.application.findFirst({ where: { id: target.id, orgId } }))) {
      throw Problems.notFound('application');
    }
    if (target.kind === 'user' && !(await this.prisma.user.findFirst({ where: { id: target.id, orgId } }))) {
      throw Problems.notFound('user');
    }
    const now = this.clock.now();
    const families = await this.prisma.transaction(async (tx) => {
      await tx.$executeRaw`INSERT INTO principal_revocations (subject_id, valid_after) VALUES (${subjectId}, ${now})
        ON CONFLICT (subject_id) DO UPDATE SET valid_after = GREATEST(principal_revocations.valid_after, EXCLUDED.valid_after)`;
      const scope =
        target.kind === 'org'
          ? { orgId }
          : target.kind === 'app'
            ? { clientId: target.id, orgId }
            : { subjectId, orgId };
      const ended = await tx.refreshFamily.updateMany({
        where: { ...scope, revokedAt: null },
        data: { revokedAt: now, revokedWhy: `revoke_all:${target.kind}` },
      });
      await this.audit.record(tx, meta, {
        action: 'principal.tokens_revoked',
        outcome: 'success',
        actor,
        orgId,
        target: {
          type: target.kind === 'org' ? 'organization' : target.kind === 'app' ? 'application' : 'user',
          id: subjectId,
        },
        details: { valid_after: now.toISOString(), refresh_families_ended: ended.count },
      });
      return ended.count;
    });
    return {
      subject_id: subjectId,
      valid_after: now.toISOString(),
      // iat has whole seconds: tokens from the mark's own second are dead too.
      tokens_valid_from: new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000).toISOString(),
      refresh_families_ended: families,
    };
  }
}
