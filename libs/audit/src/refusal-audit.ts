import { Injectable } from '@nestjs/common';
import type { Tier } from '@gatehouse/core';
import { AuditService, type AuditEntry, type RequestMeta } from './audit.service';

/** What a rate-limit refusal names; the limiter's key is not written (it may hold an email). */
export interface RateLimitRefusal {
  /** The limiter key; used only to write one row per key and window. */
  key: string;
  policy: { name: string; limit: number; windowS: number };
  retryAfterS: number;
  actor?: { id: string; tier: Tier | 'system' } | null;
  orgId?: string | null;
  jti?: string | null;
}

const MAX_TRACKED_KEYS = 10_000;
/** Rejected bearer tokens: one row per source address and reason per this many seconds. */
export const REJECTED_TOKEN_WINDOW_S = 60;

/**
 * Events for requests refused before they reach a service: `ratelimit.refused` and
 * `token.rejected`. A flood of refused requests must not become a flood of audit writes,
 * so each instance writes the first refusal per key (limiter key; source address + reason)
 * and window and drops the rest until the window has passed. Rows go through the group
 * commit, and the refusal answers after its row commits, like any audited response.
 */
@Injectable()
export class RefusalAudit {
  private readonly writtenUntil = new Map<string, number>();

  constructor(private readonly audit: AuditService) {}

  rateLimited(meta: RequestMeta, r: RateLimitRefusal): Promise<void> {
    return this.once(`rl:${r.key}`, r.policy.windowS, meta, {
      action: 'ratelimit.refused',
      outcome: 'failure',
      actor: r.actor ?? null,
      orgId: r.orgId ?? null,
      jti: r.jti ?? null,
      reason: `${r.policy.name} limit of ${r.policy.limit} per ${r.policy.windowS} s reached`,
      details: {
        policy: r.policy.name,
        limit: r.policy.limit,
        window_s: r.policy.windowS,
        retry_after_s: r.retryAfterS,
      },
    });
  }

  /**
   * A bearer token that did not verify (docs/design.md §8: every rejected token says why,
   * in WWW-Authenticate and here). Nothing of the token is trusted, so no actor and no jti.
   */
  tokenRejected(meta: RequestMeta, reason: string): Promise<void> {
    return this.once(`tok:${meta.sourceIp ?? 'unknown'}:${reason}`, REJECTED_TOKEN_WINDOW_S, meta, {
      action: 'token.rejected',
      outcome: 'failure',
      reason,
      details: { window_s: REJECTED_TOKEN_WINDOW_S },
    });
  }

  /**
   * A client that tried to authenticate with a key (docs/client-authentication.md#audit):
   * a refused `private_key_jwt` assertion, or a client secret sent for an app registered
   * for keys. The client is named as the assertion named it (it did not prove it).
   */
  clientAuthenticationFailed(
    meta: RequestMeta,
    r: { clientId: string | null; orgId?: string | null; method: string; reason: string },
  ): Promise<void> {
    const key = `ca:${meta.sourceIp ?? 'unknown'}:${r.clientId ?? '-'}:${r.reason}`;
    return this.once(key, REJECTED_TOKEN_WINDOW_S, meta, {
      action: 'client.authentication_failed',
      outcome: 'failure',
      orgId: r.orgId ?? null,
      target: r.clientId ? { type: 'application', id: r.clientId } : null,
      reason: r.reason,
      details: { method: r.method, window_s: REJECTED_TOKEN_WINDOW_S },
    });
  }

  /**
   * A refused DPoP proof (RFC 9449), or a DPoP-bound token used without one, at the token
   * endpoint or a bearer route (docs/client-authentication.md#audit).
   */
  dpopRejected(
    meta: RequestMeta,
    r: {
      endpoint: string;
      reason: string;
      actor?: { id: string; tier: Tier } | null;
      orgId?: string | null;
      jti?: string | null;
      jkt?: string | null;
    },
  ): Promise<void> {
    const key = `dpop:${meta.sourceIp ?? 'unknown'}:${r.endpoint}:${r.reason}`;
    return this.once(key, REJECTED_TOKEN_WINDOW_S, meta, {
      action: 'dpop.proof_rejected',
      outcome: 'failure',
      actor: r.actor ?? null,
      orgId: r.orgId ?? null,
      jti: r.jti ?? null,
      reason: r.reason,
      details: { endpoint: r.endpoint, ...(r.jkt ? { jkt: r.jkt } : {}), window_s: REJECTED_TOKEN_WINDOW_S },
    });
  }

  private async once(key: string, windowS: number, meta: RequestMeta, entry: AuditEntry): Promise<void> {
    const now = Date.now();
    if ((this.writtenUntil.get(key) ?? 0) > now) return;
    if (this.writtenUntil.size >= MAX_TRACKED_KEYS) {
      for (const [k, until] of this.writtenUntil) if (until <= now) this.writtenUntil.delete(k);
      if (this.writtenUntil.size >= MAX_TRACKED_KEYS) this.writtenUntil.clear();
    }
    this.writtenUntil.set(key, now + windowS * 1000);
    await this.audit.recordGrouped(meta, entry);
  }
}
