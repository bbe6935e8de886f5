import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { CLOCK, epochSeconds, Problems, type Clock, type Principal, type UserPrincipal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { ManagedTokens, type ManagedTokenRecord } from '@gatehouse/tokens';
import { OrgAccess } from './org-access';

/** A managed token may only be created from a sign-in this recent (docs/managed-tokens.md). */
export const FRESH_SIGN_IN_S = 600;

export interface ManagedTokenView {
  id: string;
  user_id: string;
  hosts: string[];
  scope: string;
  created_at: string;
  last_used_at: string | null;
  suspended: boolean;
  suspended_by_anomaly: string | null;
}

/**
 * The managed-token API (docs/managed-tokens.md): a user creates (or regenerates) its own
 * from a fresh sign-in and revokes it; an org admin reads, re-hosts and revokes its users'.
 * Every change is audited; the secret appears only in the 201 that creates it.
 */
@Injectable()
export class ManagedTokenService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly tokens: ManagedTokens,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(p: Principal, meta: RequestMeta, hosts: string[]) {
    const user = this.requireFreshUser(p);
    const unique = [...new Set(hosts)];
    await this.requireHosts(user.orgId, unique);
    return this.prisma.transaction(async (tx) => {
      const out = await this.tokens.issue(tx, {
        orgId: user.orgId,
        userId: user.id,
        hosts: unique,
        scope: user.scopes,
      });
      await this.audit.record(tx, meta, {
        action: out.replaced ? 'managed_token.regenerated' : 'managed_token.created',
        outcome: 'success',
        actor: { id: user.id, tier: 'user' },
        orgId: user.orgId,
        target: { type: 'managed_token', id: out.record.id },
        details: {
          hosts: unique,
          scope: user.scopes.join(' '),
          client_id: user.clientId,
          ...(out.replaced ? { replaced: out.replaced } : {}),
        },
      });
      return { ...view(out.record), token: out.token };
    });
  }

  async mine(p: Principal): Promise<ManagedTokenView> {
    const user = this.requireUser(p);
    return view(await this.found(user.id, user.orgId));
  }

  async revokeMine(p: Principal, meta: RequestMeta): Promise<void> {
    const user = this.requireUser(p);
    await this.revoke(meta, { id: user.id, tier: 'user' }, user.orgId, user.id, 'revoked_by_user');
  }

  async get(p: Principal, orgId: string, userId: string): Promise<ManagedTokenView> {
    await this.access.resolve(p, orgId);
    return view(await this.found(userId, orgId));
  }

  async setHosts(p: Principal, meta: RequestMeta, orgId: string, userId: string, hosts: string[]) {
    await this.access.resolve(p, orgId);
    const unique = [...new Set(hosts)];
    await this.requireHosts(orgId, unique);
    return this.prisma.transaction(async (tx) => {
      const current = await this.found(userId, orgId, tx);
      const record = await this.tokens.setHosts(tx, current.id, unique);
      await this.audit.record(tx, meta, {
        action: 'managed_token.updated',
        outcome: 'success',
        actor: p,
        orgId,
        target: { type: 'managed_token', id: current.id },
        details: { user_id: userId, hosts: unique, previous_hosts: current.hosts },
      });
      return view(record);
    });
  }

  async revokeForUser(p: Principal, meta: RequestMeta, orgId: string, userId: string): Promise<void> {
    await this.access.resolve(p, orgId);
    await this.revoke(meta, p, orgId, userId, 'revoked_by_admin');
  }

  private async revoke(
    meta: RequestMeta,
    actor: Principal | { id: string; tier: 'user' },
    orgId: string,
    userId: string,
    why: string,
  ): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      const current = await this.found(userId, orgId, tx);
      await this.tokens.end(tx, { id: current.id }, why);
      await this.audit.record(tx, meta, {
        action: 'managed_token.revoked',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'managed_token', id: current.id },
        reason: why,
        details: { user_id: userId },
      });
    });
  }

  private async found(userId: string, orgId: string, tx?: Parameters<ManagedTokens['liveOf']>[2]) {
    const record = await this.tokens.liveOf(userId, orgId, tx);
    if (!record) throw Problems.notFound('managed token');
    return record;
  }

  /** Hosts are live applications of the user's org (docs/managed-tokens.md#approved-hosts). */
  private async requireHosts(orgId: string, hosts: string[]): Promise<void> {
    const apps = await this.prisma.application.findMany({
      where: { id: { in: hosts }, orgId, disabled: false },
      select: { id: true },
    });
    const known = new Set(apps.map((a) => a.id));
    const unknown = hosts.filter((h) => !known.has(h));
    if (unknown.length > 0) {
      throw Problems.validation([
        { path: 'hosts', message: `not an enabled application of this organization: ${unknown.join(', ')}` },
      ]);
    }
  }

  private requireUser(p: Principal): UserPrincipal {
    if (p.tier !== 'user') throw Problems.forbidden('Managed tokens belong to users: sign in as the user.');
    if (p.actors?.length) throw Problems.forbidden('A delegated (step) token cannot manage a managed token.');
    return p;
  }

  /** RFC 9068 §2.2.1 `auth_time`: the token must descend from a sign-in of the last 10 minutes. */
  private requireFreshUser(p: Principal): UserPrincipal {
    const user = this.requireUser(p);
    const age = user.authTime === undefined ? Infinity : epochSeconds(this.clock.now()) - user.authTime;
    if (age > FRESH_SIGN_IN_S) {
      throw Problems.forbidden(
        `Creating a managed token needs a sign-in of the last ${FRESH_SIGN_IN_S / 60} minutes: sign in again.`,
      );
    }
    return user;
  }
}

function view(r: ManagedTokenRecord): ManagedTokenView {
  return {
    id: r.id,
    user_id: r.userId,
    hosts: r.hosts,
    scope: r.scope.join(' '),
    created_at: r.createdAt.toISOString(),
    last_used_at: r.lastUsedAt?.toISOString() ?? null,
    suspended: r.suspendedAt !== null,
    suspended_by_anomaly: r.suspendedAnomalyId,
  };
}
