import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { CLOCK, newId, type Clock, type Tier } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import { ManagedTokens, type ManagedTokenRecord } from '../managed/managed-tokens';
import {
  exceeds,
  mergeThresholds,
  type AnomalyKind,
  type AnomalyThresholds,
  type Threshold,
} from './anomaly-thresholds';

interface Flag {
  kind: AnomalyKind;
  orgId: string | null;
  subject: { type: string; id: string };
  evidence: Record<string, unknown>;
  /** The /v1/audit query that lists the rows behind the flag. */
  auditQuery: string;
  /** The managed token an org's auto-suspend policy may suspend. */
  managedTokenId?: string;
}

/** Refusals that count towards a burst for one principal. */
const REFUSAL_ACTIONS = [
  'access.denied',
  'access.review',
  'token.exchanged',
  'token.refreshed',
  'user.login',
  'ratelimit.refused',
];

/**
 * Anomaly detection (docs/managed-tokens.md#anomaly-review). Each detector counts the audit
 * rows of one subject in its window — the rows are the evidence, and the flag links to them
 * as a /v1/audit query — and raises at most one open flag per kind and subject. A detector
 * never fails the request that triggered it: an error is logged, the request goes on.
 * Shutdown waits for the checks still running, some of which nobody awaits (the gate's,
 * after a refusal), before the database pools close (docs/reliability.md#sigterm).
 */
@Injectable()
export class AnomalyDetector implements OnModuleDestroy {
  private readonly log = new Logger('AnomalyDetector');
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly managed: ManagedTokens,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async thresholds(): Promise<AnomalyThresholds> {
    const row = await this.prisma.anomalySettings.findUnique({ where: { id: 'global' } });
    return mergeThresholds(row?.thresholds);
  }

  /** After a successful managed-token exchange: distinct addresses, then the rate. */
  async managedExchanged(meta: RequestMeta, token: ManagedTokenRecord): Promise<void> {
    await this.guard(async () => {
      const t = await this.thresholds();
      const addrSince = this.since(t.managed_token_addresses);
      const rateSince = this.since(t.exchange_rate);
      const [row] = await this.prisma.$queryRaw<{ addresses: string[] | null; exchanges: bigint }[]>`
        SELECT array_agg(DISTINCT source_ip) FILTER (WHERE occurred_at >= ${addrSince} AND source_ip IS NOT NULL) AS addresses,
               count(*) FILTER (WHERE occurred_at >= ${rateSince}) AS exchanges
          FROM audit_events
         WHERE target_id = ${token.id} AND action = 'token.exchanged' AND outcome = 'success'
           AND occurred_at >= ${addrSince < rateSince ? addrSince : rateSince}`;
      const addresses = row?.addresses ?? [];
      const subject = { type: 'managed_token', id: token.id };
      if (exceeds(addresses.length, t.managed_token_addresses)) {
        await this.flag(meta, {
          kind: 'managed_token_addresses',
          orgId: token.orgId,
          subject,
          managedTokenId: token.id,
          evidence: {
            ...this.window(t.managed_token_addresses),
            count: addresses.length,
            addresses,
            user_id: token.userId,
          },
          auditQuery: auditQuery({ target: token.id, action: 'token.exchanged', since: addrSince }),
        });
      }
      const exchanges = Number(row?.exchanges ?? 0);
      if (exceeds(exchanges, t.exchange_rate)) {
        await this.flag(meta, {
          kind: 'exchange_rate',
          orgId: token.orgId,
          subject,
          managedTokenId: token.id,
          evidence: { ...this.window(t.exchange_rate), count: exchanges, user_id: token.userId },
          auditQuery: auditQuery({ target: token.id, action: 'token.exchanged', since: rateSince }),
        });
      }
    });
  }

  /** A spent refresh token came back (RFC 9700 §4.14): flagged at once, whatever the counts. */
  async refreshReused(
    meta: RequestMeta,
    family: { familyId: string; subjectId: string; tier: Tier; orgId: string | null },
  ) {
    await this.guard(() =>
      this.flag(meta, {
        kind: 'refresh_token_reuse',
        orgId: family.orgId,
        subject: { type: 'refresh_family', id: family.familyId },
        evidence: {
          count: 1,
          refresh_family: family.familyId,
          principal: family.subjectId,
          tier: family.tier,
          addresses: meta.sourceIp ? [meta.sourceIp] : [],
        },
        auditQuery: auditQuery({ target: family.familyId, action: 'token.refresh_reuse_detected' }),
      }),
    );
  }

  /** After a failed MFA attempt of an administrator. */
  async mfaFailed(meta: RequestMeta, adminId: string): Promise<void> {
    await this.guard(async () => {
      const t = (await this.thresholds()).mfa_failures;
      const since = this.since(t);
      const rows = await this.countByActor(adminId, ['admin.login.mfa'], since);
      if (!exceeds(rows.count, t)) return;
      await this.flag(meta, {
        kind: 'mfa_failures',
        orgId: null,
        subject: { type: 'administrator', id: adminId },
        evidence: { ...this.window(t), count: rows.count, addresses: rows.addresses },
        auditQuery: auditQuery({ actor: adminId, action: 'admin.login.mfa', outcome: 'failure', since }),
      });
    });
  }

  /** After a refusal audited with `principalId` as its actor. */
  async refused(meta: RequestMeta, principalId: string, orgId: string | null): Promise<void> {
    await this.guard(async () => {
      const t = (await this.thresholds()).refusal_burst;
      const since = this.since(t);
      const rows = await this.countByActor(principalId, REFUSAL_ACTIONS, since);
      if (!exceeds(rows.count, t)) return;
      await this.flag(meta, {
        kind: 'refusal_burst',
        orgId,
        subject: { type: 'principal', id: principalId },
        evidence: { ...this.window(t), count: rows.count, addresses: rows.addresses },
        auditQuery: auditQuery({ actor: principalId, outcome: 'failure', since }),
      });
    });
  }

  private async countByActor(actorId: string, actions: string[], since: Date) {
    const [row] = await this.prisma.$queryRaw<{ count: bigint; addresses: string[] | null }[]>`
      SELECT count(*) AS count, array_agg(DISTINCT source_ip) FILTER (WHERE source_ip IS NOT NULL) AS addresses
        FROM audit_events
       WHERE actor_id = ${actorId} AND outcome = 'failure' AND action = ANY(${actions}) AND occurred_at >= ${since}`;
    return { count: Number(row?.count ?? 0), addresses: row?.addresses ?? [] };
  }

  /** One open flag per kind and subject; the org's policy may suspend the managed token. */
  private async flag(meta: RequestMeta, f: Flag): Promise<void> {
    await this.prisma.transaction(async (tx: Tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`anomaly:${f.kind}:${f.subject.id}`}))`;
      const open = await tx.anomaly.findFirst({
        where: { kind: f.kind, subjectId: f.subject.id, state: { in: ['open', 'acknowledged'] } },
        select: { id: true },
      });
      if (open) return;
      const policy = f.orgId ? await tx.anomalyPolicy.findUnique({ where: { orgId: f.orgId } }) : null;
      const suspend = Boolean(f.managedTokenId && policy?.autoSuspend);
      const id = newId('anomaly');
      await tx.anomaly.create({
        data: {
          id,
          orgId: f.orgId,
          kind: f.kind,
          subjectType: f.subject.type,
          subjectId: f.subject.id,
          evidence: f.evidence as object,
          auditQuery: f.auditQuery,
          suspended: suspend,
          createdAt: this.clock.now(),
        },
      });
      await this.audit.record(tx, meta, {
        action: 'anomaly.flagged',
        outcome: 'success',
        actor: null,
        orgId: f.orgId,
        target: f.subject,
        reason: f.kind,
        details: { anomaly_id: id, evidence: f.evidence, audit_query: f.auditQuery, suspended: suspend },
      });
      if (suspend) {
        await this.managed.suspend(tx, f.managedTokenId!, id);
        await this.audit.record(tx, meta, {
          action: 'managed_token.suspended',
          outcome: 'success',
          actor: null,
          orgId: f.orgId,
          target: { type: 'managed_token', id: f.managedTokenId! },
          reason: 'anomaly_review_pending',
          details: { anomaly_id: id, kind: f.kind },
        });
      }
    });
  }

  private since(t: Threshold): Date {
    return new Date(this.clock.now().getTime() - t.window_s * 1000);
  }

  private window(t: Threshold) {
    const until = this.clock.now();
    return {
      limit: t.limit,
      window_s: t.window_s,
      window: { from: new Date(until.getTime() - t.window_s * 1000).toISOString(), until: until.toISOString() },
    };
  }

  /**
   * Destroy hooks run from the application module down, so this runs before the pools of
   * @gatehouse/db close: a check left running would open a connection after them (and, in
   * the suites, one to a database about to be dropped).
   */
  async onModuleDestroy(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private guard(run: () => Promise<void>): Promise<void> {
    const check = run().catch((err: unknown) => {
      this.log.warn(`anomaly detection failed: ${(err as Error).message}`);
    });
    this.running.add(check);
    void check.finally(() => this.running.delete(check));
    return check;
  }
}

function auditQuery(q: Record<string, string | Date>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) params.set(k, v instanceof Date ? v.toISOString() : v);
  return `/v1/audit?${params.toString()}`;
}
