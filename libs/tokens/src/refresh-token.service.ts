import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, GATEHOUSE_CONFIG, newId, type Clock, type GatehouseConfig, type Tier } from '@gatehouse/core';
import type { SqlPool, SqlTransaction, Tx } from '@gatehouse/db';
import { KEK, KeyedHasher, randomSecret } from '@gatehouse/credentials';

export interface RefreshFamilyInfo {
  familyId: string;
  tier: Tier;
  subjectId: string;
  clientId: string | null;
  orgId: string | null;
  scope: string;
  /**
   * RFC 8707 resources the grant was made for; empty when it named none (the password
   * sign-in). A refresh may narrow to one of them, never reach beyond (docs/resources.md#refresh).
   */
  resources: string[];
  /** When the family began: the sign-in every token of the family descends from. */
  createdAt: Date;
  /**
   * RFC 9449 §5: the thumbprint of the DPoP key the family is bound to. Such a family is
   * refreshed only with a proof of that key; null or absent: not bound.
   */
  dpopJkt?: string | null;
  /** RFC 8176 `amr` of the sign-in the family began with; empty when not recorded (docs/sign-in-experience.md#amr). */
  amr?: string[];
  /** When that sign-in happened (`auth_time`); null: at `createdAt`. */
  authTime?: Date | null;
}

export type RotateResult =
  | { kind: 'rotated'; family: RefreshFamilyInfo; refreshToken: string }
  | { kind: 'reused'; family: RefreshFamilyInfo }
  | { kind: 'invalid'; reason: string; family?: RefreshFamilyInfo };

/**
 * Refresh tokens (RFC 9700 §4.14): opaque, random, stored as keyed hashes, grouped in a
 * family with an absolute lifetime. Every use spends the token and issues its successor;
 * presenting a spent token revokes the whole family, since either the client or a thief
 * holds a copy. Callers pass the transaction so the audit row commits with the change.
 */
@Injectable()
export class RefreshTokenService {
  private readonly hasher: KeyedHasher;

  constructor(
    @Inject(KEK) kek: Buffer,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.hasher = new KeyedHasher(kek, 'refresh-token');
  }

  async start(
    tx: Tx,
    family: Omit<RefreshFamilyInfo, 'familyId' | 'createdAt' | 'resources'> & { resources?: string[] },
  ): Promise<{ familyId: string; refreshToken: string; createdAt: Date }> {
    const familyId = newId('family');
    const now = this.clock.now();
    await tx.refreshFamily.create({
      data: {
        id: familyId,
        tier: family.tier,
        subjectId: family.subjectId,
        clientId: family.clientId,
        orgId: family.orgId,
        scope: family.scope,
        resources: family.resources ?? [],
        dpopJkt: family.dpopJkt ?? null,
        amr: family.amr ?? [],
        authTime: family.authTime ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlS * 1000),
      },
    });
    const refreshToken = await this.issue(tx, familyId);
    return { familyId, refreshToken, createdAt: now };
  }

  /**
   * As {@link start}, on a node-postgres transaction: the family and its first token in one
   * statement (docs/performance.md#the-refresh-grant).
   */
  async startIn(
    tx: SqlTransaction,
    family: Omit<RefreshFamilyInfo, 'familyId' | 'createdAt' | 'resources'> & { resources?: string[] },
  ): Promise<{ familyId: string; refreshToken: string; createdAt: Date }> {
    const familyId = newId('family');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.refreshTokenTtlS * 1000);
    const refreshToken = randomSecret('ghr');
    await tx.query(
      `WITH family AS (
         INSERT INTO refresh_families (id, tier, subject_id, client_id, org_id, scope, resources, dpop_jkt, amr, auth_time,
                                       created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12))
       INSERT INTO refresh_tokens (id, family_id, token_hash, expires_at) VALUES ($13, $1, $14, $12)`,
      [
        familyId,
        family.tier,
        family.subjectId,
        family.clientId,
        family.orgId,
        family.scope,
        family.resources ?? [],
        family.dpopJkt ?? null,
        family.amr ?? [],
        family.authTime ?? null,
        now,
        expiresAt,
        newId('refresh'),
        this.hasher.hash(refreshToken),
      ],
      'gatehouse_refresh_start',
    );
    return { familyId, refreshToken, createdAt: now };
  }

  /**
   * The client and org of the family `presented` belongs to, read without a lock: the token
   * endpoint needs the org before it can resolve a self-registered client
   * (docs/client-registration.md#at-the-token-endpoint). {@link rotate} still checks everything.
   */
  async issuedTo(
    sql: Pick<SqlPool, 'query'>,
    presented: string | undefined,
  ): Promise<{ clientId: string | null; orgId: string | null } | null> {
    if (!wellFormed(presented)) return null;
    const [row] = await sql.query<{ client_id: string | null; org_id: string | null }>(
      `SELECT f.client_id, f.org_id FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
        WHERE t.token_hash = $1`,
      [this.hasher.hash(presented)],
    );
    return row ? { clientId: row.client_id, orgId: row.org_id } : null;
  }

  /**
   * Spends `presented` and issues its successor. A token of another tier or bound to
   * another client is refused without being spent (RFC 6749 §6: bound to the client), and
   * so is one of a family bound to a DPoP key when `dpopJkt` (the key the request proved)
   * is another or none (RFC 9449 §5).
   * node-postgres, two statements on the common path: the lock-and-read, then spend-and-issue
   * (docs/performance.md#the-refresh-grant).
   */
  async rotate(
    tx: SqlTransaction,
    presented: string,
    expectTier: Tier,
    expectClientId: string | null = null,
    dpopJkt: string | null = null,
  ): Promise<RotateResult> {
    if (!wellFormed(presented)) return { kind: 'invalid', reason: 'unknown refresh token' };
    // Row lock: two concurrent uses of one token serialise, so exactly one rotates.
    const [row] = await tx.query<LockedRow>(
      `SELECT t.id, t.used_at, t.expires_at, f.id AS family_id, f.tier, f.subject_id, f.client_id, f.org_id,
              f.scope, f.resources, f.created_at AS family_created_at, f.expires_at AS family_expires_at, f.revoked_at,
              f.dpop_jkt, f.amr, f.auth_time
         FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
        WHERE t.token_hash = $1
          FOR UPDATE OF t`,
      [this.hasher.hash(presented)],
      'gatehouse_refresh_lock',
    );
    if (!row) return { kind: 'invalid', reason: 'unknown refresh token' };
    const family = toInfo({
      id: row.family_id,
      tier: row.tier,
      subjectId: row.subject_id,
      clientId: row.client_id,
      orgId: row.org_id,
      scope: row.scope,
      resources: row.resources,
      createdAt: row.family_created_at,
      dpopJkt: row.dpop_jkt,
      amr: row.amr,
      authTime: row.auth_time,
    });
    if (family.tier !== expectTier) return { kind: 'invalid', reason: 'refresh token of another tier' };
    if (family.clientId !== expectClientId)
      return { kind: 'invalid', reason: 'refresh token of another client', family };
    if (family.dpopJkt && family.dpopJkt !== dpopJkt) {
      return {
        kind: 'invalid',
        reason: dpopJkt ? 'refresh token bound to another DPoP key' : 'refresh token bound to a DPoP key, no proof',
        family,
      };
    }
    const now = this.clock.now();
    if (row.revoked_at) return { kind: 'invalid', reason: 'refresh family revoked', family };
    if (row.used_at) {
      await tx.query(`UPDATE refresh_families SET revoked_at = $1, revoked_why = 'reuse_detected' WHERE id = $2`, [
        now,
        family.familyId,
      ]);
      return { kind: 'reused', family };
    }
    if (row.expires_at <= now || row.family_expires_at <= now)
      return { kind: 'invalid', reason: 'refresh token expired', family };
    const token = randomSecret('ghr');
    await tx.query(
      `WITH spent AS (UPDATE refresh_tokens SET used_at = $1 WHERE id = $2)
       INSERT INTO refresh_tokens (id, family_id, token_hash, expires_at) VALUES ($3, $4, $5, $6)`,
      [
        now,
        row.id,
        newId('refresh'),
        family.familyId,
        this.hasher.hash(token),
        new Date(now.getTime() + this.config.refreshTokenTtlS * 1000),
      ],
      'gatehouse_refresh_rotate',
    );
    return { kind: 'rotated', family, refreshToken: token };
  }

  /** Ends the family the presented token belongs to; false when it is unknown. */
  async revokeFamily(
    tx: Tx,
    presented: string,
    why: string,
    onlyForClient?: string,
  ): Promise<RefreshFamilyInfo | null> {
    const row = await this.lockToken(tx, presented);
    if (!row) return null;
    if (onlyForClient !== undefined && row.family.clientId !== onlyForClient) return toInfo(row.family);
    if (!row.family.revokedAt) {
      await tx.refreshFamily.update({
        where: { id: row.familyId },
        data: { revokedAt: this.clock.now(), revokedWhy: why },
      });
    }
    return toInfo(row.family);
  }

  private async lockToken(tx: Tx, presented: string) {
    if (!wellFormed(presented)) return null;
    const hash = this.hasher.hash(presented);
    // Row lock: two concurrent uses of one token serialise, so exactly one rotates.
    const locked = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id FROM refresh_tokens WHERE token_hash = ${hash} FOR UPDATE`;
    if (locked.length === 0) return null;
    return tx.refreshToken.findUnique({ where: { id: locked[0].id }, include: { family: true } });
  }

  private async issue(tx: Tx, familyId: string): Promise<string> {
    const token = randomSecret('ghr');
    const now = this.clock.now();
    await tx.refreshToken.create({
      data: {
        id: newId('refresh'),
        familyId,
        tokenHash: this.hasher.hash(token),
        expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlS * 1000),
      },
    });
    return token;
  }
}

interface LockedRow {
  id: string;
  used_at: Date | null;
  expires_at: Date;
  family_id: string;
  tier: string;
  subject_id: string;
  client_id: string | null;
  org_id: string | null;
  scope: string;
  resources: string[];
  family_created_at: Date;
  family_expires_at: Date;
  revoked_at: Date | null;
  dpop_jkt: string | null;
  amr: string[];
  auth_time: Date | null;
}

function wellFormed(presented: unknown): presented is string {
  return typeof presented === 'string' && presented.startsWith('ghr_') && presented.length <= 200;
}

function toInfo(f: {
  id: string;
  tier: string;
  subjectId: string;
  clientId: string | null;
  orgId: string | null;
  scope: string;
  resources: string[];
  createdAt: Date;
  dpopJkt?: string | null;
  amr?: string[];
  authTime?: Date | null;
}): RefreshFamilyInfo {
  return {
    familyId: f.id,
    tier: f.tier as Tier,
    subjectId: f.subjectId,
    clientId: f.clientId,
    orgId: f.orgId,
    scope: f.scope,
    resources: f.resources,
    createdAt: f.createdAt,
    dpopJkt: f.dpopJkt ?? null,
    amr: f.amr ?? [],
    authTime: f.authTime ?? null,
  };
}
