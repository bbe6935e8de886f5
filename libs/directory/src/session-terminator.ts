import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { CLOCK, type Clock } from '@gatehouse/core';
import { type Prisma, type Tx } from '@gatehouse/db';
import { ManagedTokens, TokenRevocationService } from '@gatehouse/tokens';

/**
 * Ends a principal's sessions, inside the transaction of the change that calls for it
 * (revoke-all, disabling or deleting an app or user, a new password): a "valid after" mark
 * on the org, app, user or administrator — tokens it issued up to now are dead, here
 * (AccessTokenVerifier) and at offline verifiers (the revocation feed) — and the end of
 * every live refresh family its sessions hang on, so no refresh token mints a token after
 * it. Once the transaction commits, the mark is mirrored to Redis (RevocationMirror).
 * A user's (or, for an org, its users') browser sessions end too, each with its
 * `session.ended` row giving `why` (docs/sign-in.md#the-session): the SSO cookie signs in
 * nobody afterwards, and `prompt=none` answers `login_required`.
 */
@Injectable()
export class SessionTerminator {
  constructor(
    private readonly tokens: TokenRevocationService,
    private readonly managed: ManagedTokens,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * `families` picks the refresh families (by subject, client, org…); `managed` the managed
   * tokens that end too (a user's or an org's users'; docs/managed-tokens.md#kept-apart).
   */
  async end(
    tx: Tx,
    meta: RequestMeta,
    subjectId: string,
    orgId: string | null,
    families: Prisma.RefreshFamilyWhereInput,
    why: string,
    managed?: { userId: string } | { orgId: string },
  ): Promise<{ at: Date; familiesEnded: number; managedTokensEnded: number }> {
    const at = this.clock.now();
    await tx.$executeRaw`INSERT INTO principal_revocations (subject_id, valid_after, org_id) VALUES (${subjectId}, ${at}, ${orgId})
      ON CONFLICT (subject_id) DO UPDATE SET valid_after = GREATEST(principal_revocations.valid_after, EXCLUDED.valid_after)`;
    const ended = await tx.refreshFamily.updateMany({
      where: { ...families, revokedAt: null },
      data: { revokedAt: at, revokedWhy: why },
    });
    const managedEnded = managed ? await this.managed.end(tx, managed, why) : [];
    await this.tokens.validAfterMarked(tx, subjectId, at);
    await this.endBrowserSessions(tx, meta, subjectId, at, why);
    return { at, familiesEnded: ended.count, managedTokensEnded: managedEnded.length };
  }

  /** IDs are prefixed (`usr_`, `org_`), so one subject matches by user or by org, never both. */
  private async endBrowserSessions(tx: Tx, meta: RequestMeta, subjectId: string, at: Date, why: string) {
    const ended = await tx.browserSession.updateManyAndReturn({
      where: { endedAt: null, expiresAt: { gt: at }, OR: [{ userId: subjectId }, { orgId: subjectId }] },
      data: { endedAt: at, endedWhy: why },
      select: { id: true, userId: true, orgId: true },
    });
    for (const s of ended) {
      await this.audit.record(tx, meta, {
        action: 'session.ended',
        outcome: 'success',
        actor: { id: s.userId, tier: 'user' },
        orgId: s.orgId,
        target: { type: 'session', id: s.id },
        reason: why,
        details: {},
      });
    }
  }
}
