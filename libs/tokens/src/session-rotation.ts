import { Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import type { Tier } from '@gatehouse/core';
import { SqlPool, type SqlTransaction } from '@gatehouse/db';
import { RefreshTokenService, type RefreshFamilyInfo } from './refresh-token.service';
import { TokenIssuer, type IssueRequest, type TokenResponse } from './token-issuer';
import { AnomalyDetector } from './anomalies/anomaly-detector';

/** What the caller makes of a rotated family: the token to issue, or why there is none. */
export type Renewal = { issue: Omit<IssueRequest, 'refreshToken'> } | { invalid: string };

/**
 * Rotate-and-issue, shared by the user refresh grant and admin session refresh: spend the
 * presented refresh token and issue its successor together with a new access token, in
 * one transaction with their audit rows (RFC 9700 §4.14). A spent token revokes its
 * family and is audited as suspected theft; any other failure is audited and answered
 * with the caller's `refused` error, which never says which check failed.
 */
@Injectable()
export class SessionRotation {
  constructor(
    private readonly sql: SqlPool,
    private readonly refreshTokens: RefreshTokenService,
    private readonly issuer: TokenIssuer,
    private readonly audit: AuditService,
    private readonly anomalies: AnomalyDetector,
  ) {}

  async rotate(
    meta: RequestMeta,
    presented: string,
    binding: { tier: Tier; clientId: string | null; dpopJkt?: string | null },
    renew: (family: RefreshFamilyInfo, tx: SqlTransaction) => Promise<Renewal>,
    refused: () => Error,
  ): Promise<TokenResponse> {
    // node-postgres, not a Prisma interactive transaction: Prisma's cost per statement was
    // most of a refresh's CPU (docs/performance.md#the-refresh-grant).
    const outcome = await this.sql.transaction(async (tx) => {
      const r = await this.refreshTokens.rotate(tx, presented, binding.tier, binding.clientId, binding.dpopJkt ?? null);
      if (r.kind === 'reused') {
        await this.audit.record(tx, meta, {
          action: 'token.refresh_reuse_detected',
          outcome: 'failure',
          actor: { id: r.family.subjectId, tier: r.family.tier },
          orgId: r.family.orgId,
          target: { type: 'refresh_family', id: r.family.familyId },
          reason: 'a spent refresh token was presented; the family is revoked',
          details: binding.clientId ? { client_id: binding.clientId } : {},
        });
        return { kind: 'refused' as const, family: r.family };
      }
      if (r.kind === 'invalid') return { kind: 'invalid' as const, reason: r.reason, family: r.family };
      const renewal = await renew(r.family, tx);
      if ('invalid' in renewal) return { kind: 'invalid' as const, reason: renewal.invalid, family: r.family };
      const issued = await this.issuer.issue(meta, { ...renewal.issue, refreshToken: r.refreshToken }, tx);
      return { kind: 'issued' as const, response: issued.response };
    });
    if (outcome.kind === 'issued') return outcome.response;
    if (outcome.kind === 'refused') await this.anomalies.refreshReused(meta, outcome.family);
    if (outcome.kind === 'invalid') {
      await this.audit.recordAlone(meta, {
        action: 'token.refreshed',
        outcome: 'failure',
        actor: outcome.family ? { id: outcome.family.subjectId, tier: outcome.family.tier } : null,
        orgId: outcome.family?.orgId ?? null,
        reason: outcome.reason,
        details: binding.clientId ? { client_id: binding.clientId } : {},
      });
    }
    throw refused();
  }
}
