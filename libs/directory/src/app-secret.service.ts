import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, newId, Problems, type Clock, type Principal } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { CLIENT_SECRET_HASH, KEK, KeyedHasher, randomSecret } from '@gatehouse/credentials';
import { OrgAccess } from './org-access';

/** An app holds at most this many live secrets: the current one and the one replacing it. */
export const MAX_ACTIVE_SECRETS = 2;

export interface SecretView {
  id: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  active: boolean;
}

interface SecretRow {
  id: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/**
 * Client-secret lifecycle (docs/design.md §2): creating a secret is how a secret rotates
 * — the new one works at once, the old one until it is deleted or its optional expiry
 * passes. A secret is shown once, at creation; listings show ids and dates only.
 */
@Injectable()
export class AppSecretService {
  private readonly hasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.hasher = new KeyedHasher(kek, CLIENT_SECRET_HASH);
  }

  /** Stores a new secret for an app inside the caller's transaction; returns it once. */
  async add(tx: Tx, appId: string, orgId: string): Promise<{ id: string; secret: string; createdAt: Date }> {
    const secret = randomSecret('ghs');
    const row = await tx.applicationSecret.create({
      data: { id: newId('secret'), appId, orgId, secretHash: this.hasher.hash(secret) },
    });
    return { id: row.id, secret, createdAt: row.createdAt };
  }

  async create(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    appId: string,
    input: { previous_expires_in_s?: number },
  ): Promise<SecretView & { client_secret: string }> {
    await this.access.resolve(actor, orgId);
    return this.prisma.transaction(async (tx) => {
      await this.lockApp(tx, orgId, appId);
      const now = this.clock.now();
      const live = (await tx.applicationSecret.findMany({ where: { appId, orgId, revokedAt: null } })).filter((s) =>
        isActive(s, now),
      );
      if (live.length >= MAX_ACTIVE_SECRETS) {
        throw Problems.conflict(`An application holds at most ${MAX_ACTIVE_SECRETS} active secrets; delete one first.`);
      }
      if (input.previous_expires_in_s !== undefined) {
        const expiresAt = new Date(now.getTime() + input.previous_expires_in_s * 1000);
        await tx.applicationSecret.updateMany({
          where: { id: { in: live.map((s) => s.id) }, OR: [{ expiresAt: null }, { expiresAt: { gt: expiresAt } }] },
          data: { expiresAt },
        });
      }
      const added = await this.add(tx, appId, orgId);
      await this.audit.record(tx, meta, {
        action: 'app.secret.created',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'application', id: appId },
        details: { secret_id: added.id, previous_expires_in_s: input.previous_expires_in_s ?? null },
      });
      return {
        id: added.id,
        client_secret: added.secret,
        created_at: added.createdAt.toISOString(),
        expires_at: null,
        revoked_at: null,
        active: true,
      };
    });
  }

  async list(actor: Principal, orgId: string, appId: string): Promise<{ data: SecretView[] }> {
    await this.access.resolve(actor, orgId);
    await this.findApp(this.prisma, orgId, appId);
    const rows = await this.prisma.applicationSecret.findMany({ where: { appId, orgId }, orderBy: { id: 'asc' } });
    const now = this.clock.now();
    return { data: rows.map((r) => view(r, now)) };
  }

  /** Ends a secret at once; requests presenting it fail from the next one on. */
  async revoke(actor: Principal, meta: RequestMeta, orgId: string, appId: string, secretId: string): Promise<void> {
    await this.access.resolve(actor, orgId);
    await this.prisma.transaction(async (tx) => {
      await this.lockApp(tx, orgId, appId);
      const ended = await tx.applicationSecret.updateMany({
        where: { id: secretId, appId, orgId, revokedAt: null },
        data: { revokedAt: this.clock.now() },
      });
      if (ended.count !== 1) throw Problems.notFound('secret');
      await this.audit.record(tx, meta, {
        action: 'app.secret.revoked',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'application', id: appId },
        details: { secret_id: secretId },
      });
    });
  }

  /** Row lock on the app: concurrent rotations cannot both slip under the limit. */
  private async lockApp(tx: Tx, orgId: string, appId: string): Promise<void> {
    const rows = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id FROM applications WHERE id = ${appId} AND org_id = ${orgId} FOR UPDATE`;
    if (rows.length === 0) throw Problems.notFound('application');
  }

  private async findApp(db: Tx | PrismaService, orgId: string, appId: string): Promise<void> {
    const app = await db.application.findFirst({ where: { id: appId, orgId }, select: { id: true } });
    if (!app) throw Problems.notFound('application');
  }
}

function isActive(s: SecretRow, now: Date): boolean {
  return !s.revokedAt && (!s.expiresAt || s.expiresAt > now);
}

function view(s: SecretRow, now: Date): SecretView {
  return {
    id: s.id,
    created_at: s.createdAt.toISOString(),
    expires_at: s.expiresAt?.toISOString() ?? null,
    revoked_at: s.revokedAt?.toISOString() ?? null,
    active: isActive(s, now),
  };
}
