import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { CLOCK, type Clock } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import { KEK, KeyedHasher, randomSecret } from '@gatehouse/credentials';
import { newSessionId } from './session-id';

/** docs/sign-in.md#the-session: idle and absolute lifetimes of a browser session. */
export const SESSION_IDLE_S = 8 * 3600;
export const SESSION_ABSOLUTE_S = 7 * 24 * 3600;

export interface BrowserSession {
  /** The ID token's `sid`. */
  id: string;
  userId: string;
  orgId: string;
  authTime: Date;
  amr: string[];
}

/**
 * The browser session (docs/sign-in.md#the-session): a random handle in a host-only cookie,
 * stored here only as a keyed hash, naming who signed in, when (`auth_time`) and how
 * (`amr`). A session is live while it is not ended, not idle for SESSION_IDLE_S, younger
 * than SESSION_ABSOLUTE_S, and its user is still enabled with no "sessions ended" mark
 * (revoke-all, password change) since it began; a user deleted takes it along.
 */
@Injectable()
export class BrowserSessions {
  private readonly hasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.hasher = new KeyedHasher(kek, 'browser-session');
  }

  async start(
    tx: Tx,
    meta: RequestMeta,
    s: { userId: string; orgId: string; amr: string[]; clientId: string },
  ): Promise<{ cookie: string; session: BrowserSession }> {
    const cookie = randomSecret('ghb');
    const now = this.clock.now();
    const id = newSessionId();
    await tx.browserSession.create({
      data: {
        id,
        cookieHash: this.hasher.hash(cookie),
        userId: s.userId,
        orgId: s.orgId,
        authTime: now,
        amr: s.amr,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_S * 1000),
        createdAt: now,
      },
    });
    await this.audit.record(tx, meta, {
      action: 'session.started',
      outcome: 'success',
      actor: { id: s.userId, tier: 'user' },
      orgId: s.orgId,
      target: { type: 'session', id },
      details: { amr: s.amr, client_id: s.clientId },
    });
    return { cookie, session: { id, userId: s.userId, orgId: s.orgId, authTime: now, amr: s.amr } };
  }

  /** The live session the cookie names, touched (idle clock reset); null otherwise. */
  async find(cookie: string | undefined): Promise<BrowserSession | null> {
    if (!cookie || !cookie.startsWith('ghb_') || cookie.length > 200) return null;
    const row = await this.prisma.browserSession.findUnique({ where: { cookieHash: this.hasher.hash(cookie) } });
    const now = this.clock.now();
    if (!row || row.endedAt || row.expiresAt <= now) return null;
    if (row.lastSeenAt.getTime() + SESSION_IDLE_S * 1000 <= now.getTime()) return null;
    const user = await this.prisma.user.findUnique({
      where: { id: row.userId },
      select: { disabled: true, orgId: true },
    });
    if (!user || user.disabled || user.orgId !== row.orgId) return null;
    const ended = await this.prisma.principalRevocation.findFirst({
      where: { subjectId: row.userId, validAfter: { gte: row.authTime } },
      select: { subjectId: true },
    });
    if (ended) return null;
    await this.prisma.browserSession.update({ where: { id: row.id }, data: { lastSeenAt: now } });
    return { id: row.id, userId: row.userId, orgId: row.orgId, authTime: row.authTime, amr: row.amr };
  }

  /** The live session `sid` names (a sign-in that parked it for a consent page); null otherwise. */
  async findById(sid: string): Promise<BrowserSession | null> {
    const row = await this.prisma.browserSession.findUnique({ where: { id: sid } });
    const now = this.clock.now();
    if (!row || row.endedAt || row.expiresAt <= now) return null;
    return { id: row.id, userId: row.userId, orgId: row.orgId, authTime: row.authTime, amr: row.amr };
  }

  /** Ends a session (sign-out); the audit row says why. False when it was not live. */
  async end(meta: RequestMeta, sessionId: string, why: string, clientId: string | null): Promise<boolean> {
    return this.prisma.transaction(async (tx) => {
      const { count } = await tx.browserSession.updateMany({
        where: { id: sessionId, endedAt: null },
        data: { endedAt: this.clock.now(), endedWhy: why },
      });
      if (count === 0) return false;
      const row = await tx.browserSession.findUniqueOrThrow({ where: { id: sessionId } });
      await this.audit.record(tx, meta, {
        action: 'session.ended',
        outcome: 'success',
        actor: { id: row.userId, tier: 'user' },
        orgId: row.orgId,
        target: { type: 'session', id: sessionId },
        reason: why,
        details: clientId ? { client_id: clientId } : {},
      });
      return true;
    });
  }
}
