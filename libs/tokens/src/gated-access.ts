import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { inSpan } from '@gatehouse/core';
import { CacheListener } from '@gatehouse/db';
import {
  ACCESS_GATE,
  type AccessDecision,
  type AccessGate,
  type AccessRequest,
  type AccessStopped,
} from './access-gate';
import { AnomalyDetector } from './anomalies/anomaly-detector';

/**
 * The one caller of the bound `AccessGate` (docs/architecture.md#the-access-gate). It writes
 * the audit row of every decision that is not an allow — `access.denied` or `access.review`,
 * with the reason, the decision id and the inputs the gate decided from — so every refusal
 * can be explained from the log alone, whichever surface asked and whatever gate is bound.
 * The gate itself writes no audit rows for the decisions it returns.
 */
@Injectable()
export class GatedAccess {
  private readonly observers: ((request: AccessRequest, decision: AccessDecision) => void)[] = [];

  constructor(
    @Inject(ACCESS_GATE) private readonly gate: AccessGate,
    private readonly audit: AuditService,
    private readonly anomalies: AnomalyDetector,
    private readonly caches: CacheListener,
  ) {}

  /** Told of every decision (the app's metrics count them by point, outcome and reason). */
  onDecision(observer: (request: AccessRequest, decision: AccessDecision) => void): void {
    this.observers.push(observer);
  }

  decide(meta: RequestMeta, request: AccessRequest): Promise<AccessDecision> {
    // docs/reliability.md#traces: the gate decision as a child span of the request.
    return inSpan('gate decision', { 'gatehouse.access_point': request.point }, async (span) => {
      const decision = await this.decideNow(meta, request);
      span.setAttribute('gatehouse.decision', decision.outcome);
      if (decision.outcome !== 'allow') span.setAttribute('gatehouse.decision_reason', decision.reason);
      return decision;
    });
  }

  private async decideNow(meta: RequestMeta, request: AccessRequest): Promise<AccessDecision> {
    let decision = await this.gate.check(request);
    // A stop read from caches that were not synced (docs/control.md#live) is decided again on
    // fresh state before it is recorded or answered.
    if (decision.outcome !== 'allow' && (await this.caches.resync())) decision = await this.gate.check(request);
    for (const observe of this.observers) observe(request, decision);
    if (decision.outcome !== 'allow') {
      await this.record(meta, request, decision);
      // Detached: the gate may be asked inside the caller's transaction (sign-in, refresh),
      // which must not wait on a detector (docs/managed-tokens.md#anomaly-review).
      void this.anomalies.refused(meta, request.subject.id, request.subject.orgId ?? null);
    }
    return decision;
  }

  private record(meta: RequestMeta, request: AccessRequest, d: AccessStopped): Promise<unknown> {
    const { subject } = request;
    return this.audit.recordGrouped(meta, {
      action: d.outcome === 'review' ? 'access.review' : 'access.denied',
      outcome: 'failure',
      actor: { id: subject.id, tier: subject.tier },
      orgId: subject.orgId ?? null,
      target: request.resource?.id ? { type: request.resource.type, id: request.resource.id } : null,
      jti: request.jti ?? null,
      reason: d.reason,
      details: {
        point: request.point,
        decision_id: d.decisionId,
        ...(d.approvalId ? { approval_id: d.approvalId } : {}),
        ...(request.grantType ? { grant_type: request.grantType } : {}),
        ...(request.action ? { action: request.action.name } : {}),
        ...(request.step ? { step: request.step } : {}),
        scopes: [...request.scopes],
        inputs: d.inputs ?? {},
      },
    });
  }
}
