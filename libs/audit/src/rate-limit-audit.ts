import { Injectable } from '@nestjs/common';
import type { Tier } from '@gatehouse/core';
import { AuditService, type RequestMeta } from './audit.service';

/** What a refusal names; the limiter's key is deliberately not written (it may hold an email). */
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

/**
 * `ratelimit.refused` events. A flood against a limit must not become a flood of audit
 * writes, so each instance writes one row per limited key per window (the first refusal)
 * and drops the rest until the window has passed; the row says which policy refused and
 * its limit. Rows go through the group commit, and the refusal answers after its row
 * commits, like any other audited response.
 */
@Injectable()
export class RateLimitAudit {
  private readonly writtenUntil = new Map<string, number>();

  constructor(private readonly audit: AuditService) {}

  async refused(meta: RequestMeta, r: RateLimitRefusal): Promise<void> {
    const now = Date.now();
    if ((this.writtenUntil.get(r.key) ?? 0) > now) return;
    if (this.writtenUntil.size >= MAX_TRACKED_KEYS) {
      for (const [k, until] of this.writtenUntil) if (until <= now) this.writtenUntil.delete(k);
      if (this.writtenUntil.size >= MAX_TRACKED_KEYS) this.writtenUntil.clear();
    }
    this.writtenUntil.set(r.key, now + r.policy.windowS * 1000);
    await this.audit.recordGrouped(meta, {
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
}
