import { Injectable } from '@nestjs/common';
import { Problems, type Principal } from '@gatehouse/core';
import { PrismaService, type Prisma } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess } from './org-access';
import { SessionTerminator } from './session-terminator';

export type RevocationTarget = { kind: 'org' } | { kind: 'app'; id: string } | { kind: 'user'; id: string };

interface Mark {
  subjectId: string;
  orgId: string | null;
  kind: 'org' | 'app' | 'user' | 'admin';
  families: Prisma.RefreshFamilyWhereInput;
  /** Revoke-all of a user or an org ends managed tokens too, and says so (docs/managed-tokens.md#kept-apart). */
  managed?: { userId: string } | { orgId: string };
}

const TARGET_TYPE = { org: 'organization', app: 'application', user: 'user', admin: 'administrator' } as const;

/**
 * Revoke everything of a principal at once, without listing tokens: a "valid after" mark on
 * the org, app, user or administrator (AccessTokenVerifier refuses tokens issued up to that
 * second — for an app that includes user tokens issued through it, for an org every app and
 * user token), and every live refresh family it covers is ended in the same transaction.
 * (SessionTerminator; the mark reaches Redis once the transaction commits).
 */
@Injectable()
export class PrincipalRevocationService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    private readonly sessions: SessionTerminator,
  ) {}

  async revokeAll(actor: Principal, meta: RequestMeta, orgId: string, target: RevocationTarget) {
    await this.access.resolve(actor, orgId);
    if (target.kind === 'app' && !(await this.prisma.application.findFirst({ where: { id: target.id, orgId } }))) {
      throw Problems.notFound('application');
    }
    if (target.kind === 'user' && !(await this.prisma.user.findFirst({ where: { id: target.id, orgId } }))) {
      throw Problems.notFound('user');
    }
    const subjectId = target.kind === 'org' ? orgId : target.id;
    const families =
      target.kind === 'org' ? { orgId } : target.kind === 'app' ? { clientId: target.id, orgId } : { subjectId, orgId };
    const managed = target.kind === 'org' ? { orgId } : target.kind === 'user' ? { userId: target.id } : undefined;
    return this.mark(actor, meta, { subjectId, orgId, kind: target.kind, families, managed });
  }

  /**
   * Every session of an administrator ("sign out everywhere"). An administrator may do it to
   * itself; doing it to another takes a platform administrator. An unknown ID is 404.
   */
  async revokeAdmin(actor: Principal, meta: RequestMeta, adminId: string) {
    if (actor.tier !== 'admin') throw Problems.forbidden('Only administrators use the management API.');
    if (actor.id !== adminId) this.access.requirePlatformAdmin(actor);
    if (!(await this.prisma.administrator.findUnique({ where: { id: adminId }, select: { id: true } }))) {
      throw Problems.notFound('administrator');
    }
    return this.mark(actor, meta, {
      subjectId: adminId,
      orgId: null,
      kind: 'admin',
      families: { subjectId: adminId, tier: 'admin' },
    });
  }

  private async mark(actor: Principal, meta: RequestMeta, m: Mark) {
    const { at, familiesEnded, managedTokensEnded } = await this.prisma.transaction(async (tx) => {
      const ended = await this.sessions.end(
        tx,
        meta,
        m.subjectId,
        m.orgId,
        m.families,
        `revoke_all:${m.kind}`,
        m.managed,
      );
      await this.audit.record(tx, meta, {
        action: 'principal.tokens_revoked',
        outcome: 'success',
        actor,
        orgId: m.orgId,
        target: { type: TARGET_TYPE[m.kind], id: m.subjectId },
        details: {
          valid_after: ended.at.toISOString(),
          refresh_families_ended: ended.familiesEnded,
          managed_tokens_ended: ended.managedTokensEnded,
        },
      });
      return ended;
    });
    return {
      subject_id: m.subjectId,
      valid_after: at.toISOString(),
      // iat has whole seconds: tokens from the mark's own second are dead too.
      tokens_valid_from: new Date(Math.floor(at.getTime() / 1000) * 1000 + 1000).toISOString(),
      refresh_families_ended: familiesEnded,
      managed_tokens_ended: managedTokensEnded,
    };
  }
}
