import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, newId, type Clock } from '@gatehouse/core';
import { afterCommit, PrismaService, type Tx } from '@gatehouse/db';
import { KEK, KeyedHasher, randomSecret } from '@gatehouse/credentials';
import { TokenRevocationService } from '../token-revocation.service';

/** The opaque secret's prefix (docs/managed-tokens.md), so secret scanners can find leaks. */
export const MANAGED_TOKEN_PREFIX = 'ghm_';

/** RFC 8693 §3 token type URI of a managed token (docs/managed-tokens.md). */
export const MANAGED_TOKEN_TYPE = 'urn:gatehouse:params:oauth:token-type:managed';

/** Hashed and looked up in place of a malformed secret; never a token (no `ghm_` prefix). */
const MALFORMED_STAND_IN = 'malformed-managed-token';

/** The longest an access token exchanged from a managed token may live (docs/managed-tokens.md). */
export const MANAGED_EXCHANGE_MAX_TTL_S = 600;

export interface ManagedTokenRecord {
  id: string;
  orgId: string;
  userId: string;
  hosts: string[];
  /** The scope ceiling: what the user token that created it carried. */
  scope: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  suspendedAt: Date | null;
  suspendedAnomalyId: string | null;
}

/**
 * Managed bearer tokens (docs/managed-tokens.md): one live token per user, 256 random bits
 * behind `ghm_`, stored only as a keyed hash. Ending one also revokes, by its id as a parent
 * `jti`, every access token exchanged from it (they carry `parent_jti: mgt_…`), so a
 * regeneration or revocation takes effect at once here and at offline verifiers.
 */
@Injectable()
export class ManagedTokens {
  private readonly hasher: KeyedHasher;

  constructor(
    @Inject(KEK) kek: Buffer,
    private readonly prisma: PrismaService,
    private readonly revocations: TokenRevocationService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.hasher = new KeyedHasher(kek, 'managed-token');
  }

  /** Ends the user's live token, if any, and stores a new one; the secret is returned once. */
  async issue(
    tx: Tx,
    input: { orgId: string; userId: string; hosts: string[]; scope: string[] },
  ): Promise<{ record: ManagedTokenRecord; token: string; replaced: string | null }> {
    // Serialises two creations for one user: exactly one live token remains.
    await tx.$queryRaw`SELECT id FROM users WHERE id = ${input.userId} FOR UPDATE`;
    const replaced = await this.end(tx, { userId: input.userId }, 'regenerated');
    const token = randomSecret(MANAGED_TOKEN_PREFIX.slice(0, -1));
    const row = await tx.managedToken.create({
      data: {
        id: newId('managedToken'),
        orgId: input.orgId,
        userId: input.userId,
        tokenHash: this.hasher.hash(token),
        hosts: input.hosts,
        scope: input.scope.join(' '),
        createdAt: this.clock.now(),
      },
    });
    return { record: toRecord(row), token, replaced: replaced[0] ?? null };
  }

  /** The live (not revoked) token of a user. */
  async liveOf(userId: string, orgId: string, tx: Tx | PrismaService = this.prisma) {
    const row = await tx.managedToken.findFirst({ where: { userId, orgId, revokedAt: null } });
    return row ? toRecord(row) : null;
  }

  /**
   * A presented secret's live token; null for anything unknown, ended or malformed. A
   * malformed secret costs the same hash and lookup as a well-formed one (of a value no
   * token hashes to), so the time of an answer says nothing about what was presented
   * (docs/managed-tokens.md#exchange).
   */
  async find(presented: string): Promise<ManagedTokenRecord | null> {
    const wellFormed = presented.startsWith(MANAGED_TOKEN_PREFIX) && presented.length <= 200;
    const hash = this.hasher.hash(wellFormed ? presented : MALFORMED_STAND_IN);
    const row = await this.prisma.managedToken.findUnique({ where: { tokenHash: hash } });
    return wellFormed && row && !row.revokedAt ? toRecord(row) : null;
  }

  async setHosts(tx: Tx, id: string, hosts: string[]): Promise<ManagedTokenRecord> {
    return toRecord(await tx.managedToken.update({ where: { id }, data: { hosts } }));
  }

  async touch(id: string): Promise<void> {
    await this.prisma.managedToken.updateMany({ where: { id }, data: { lastUsedAt: this.clock.now() } });
  }

  /** Whether the token is still live and not suspended (an exchange checks again once it committed). */
  async isUsable(id: string): Promise<boolean> {
    const row = await this.prisma.managedToken.findUnique({
      where: { id },
      select: { revokedAt: true, suspendedAt: true },
    });
    return row !== null && row.revokedAt === null && row.suspendedAt === null;
  }

  /**
   * Suspends (anomaly review) or lifts the suspension of a live token. A suspension also
   * revokes, once it commits, every access token already exchanged from it and everything
   * exchanged from those (docs/managed-tokens.md#ending-a-managed-token); the id itself stays
   * unrevoked, so the tokens of its exchanges after a clearing live.
   */
  async suspend(tx: Tx, id: string, anomalyId: string | null): Promise<void> {
    await tx.managedToken.updateMany({
      where: { id, revokedAt: null },
      data: anomalyId
        ? { suspendedAt: this.clock.now(), suspendedAnomalyId: anomalyId }
        : { suspendedAt: null, suspendedAnomalyId: null },
    });
    if (anomalyId) afterCommit(tx, () => this.revocations.revokeDescendants(id));
  }

  /**
   * Ends the live tokens `where` picks, in the caller's transaction; once it commits, their
   * ids are revoked as parent jtis, so the access tokens exchanged from them die too.
   */
  async end(tx: Tx, where: { userId?: string; orgId?: string; id?: string }, why: string): Promise<string[]> {
    const rows = await tx.managedToken.findMany({
      where: { ...where, revokedAt: null },
      select: { id: true, hosts: true },
    });
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    await tx.managedToken.updateMany({
      where: { id: { in: ids } },
      data: { revokedAt: this.clock.now(), revokedWhy: why },
    });
    const until = new Date(this.clock.now().getTime() + MANAGED_EXCHANGE_MAX_TTL_S * 1000);
    afterCommit(tx, async () => {
      // The row names a host so that the revocation feed, which lists an org's apps' revoked
      // jtis, carries it to the org's offline verifiers. `revoke` also lists, by jti, every
      // token exchanged from it and from those (the lineage), so the feed names the whole
      // lineage, whichever way the token ended (docs/managed-tokens.md#ending-a-managed-token).
      for (const r of rows) await this.revocations.revoke(r.id, until, r.hosts[0] ?? null);
    });
    return ids;
  }
}

function toRecord(r: {
  id: string;
  orgId: string;
  userId: string;
  hosts: string[];
  scope: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  suspendedAt: Date | null;
  suspendedAnomalyId: string | null;
}): ManagedTokenRecord {
  return {
    id: r.id,
    orgId: r.orgId,
    userId: r.userId,
    hosts: r.hosts,
    scope: r.scope.split(' ').filter(Boolean),
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    suspendedAt: r.suspendedAt,
    suspendedAnomalyId: r.suspendedAnomalyId,
  };
}
