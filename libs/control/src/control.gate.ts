import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, isId, newId, type Clock } from '@gatehouse/core';
import type { AccessDecision, AccessGate, AccessRequest } from '@gatehouse/tokens';
import { REVOCATION_FEED_SCOPE } from '@gatehouse/verifier';
import { ApprovalStore } from './approval-store';
import { ControlStateCache } from './control-state.cache';
import { decide, reviewRule, type DecisionInput } from './decide';
import type { OrgState } from './org-state';
import { REASONS } from './reasons';

/**
 * The control layer's AccessGate (docs/control.md): the org's live state from the
 * invalidating cache, the pure decision, and the reason table's text. It writes no audit
 * rows for the decisions it returns (GatedAccess does); the only writes are the review
 * path's approval requests.
 */
@Injectable()
export class ControlAccessGate implements AccessGate {
  constructor(
    private readonly state: ControlStateCache,
    private readonly approvals: ApprovalStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async check(request: AccessRequest): Promise<AccessDecision> {
    const { subject } = request;
    if (subject.tier === 'admin' || learnsOfStops(request)) return { outcome: 'allow' };
    const org = subject.orgId ? await this.state.org(subject.orgId) : null;
    const input: DecisionInput = {
      tier: subject.tier,
      subjectId: subject.id,
      clientId: subject.clientId,
      member: org ? await this.isMember(org, request) : false,
      step: request.step,
      actors: request.actors,
      action: request.action,
      resource: request.resource,
      packages: packagesOf(request),
      scopes: request.scopes,
      workflow: typeof request.context?.workflow === 'string' ? request.context.workflow : undefined,
    };
    return this.evaluate(org, input, request.point);
  }

  /** The decision for an input already placed (the gate, the decision API, simulations). */
  async evaluate(org: OrgState | null, input: DecisionInput, point: string): Promise<AccessDecision> {
    const now = this.clock.now().getTime();
    const verdict = decide(org, input, now);
    if (verdict.outcome === 'allow') {
      if (!verdict.consume) return { outcome: 'allow' };
      const decisionId = newId('decision');
      if (await this.approvals.consume(org!.orgId, verdict.consume, input, decisionId)) {
        return { outcome: 'allow', decisionId };
      }
      // Spent by a racing request a moment ago: this one needs its own approval.
      return this.evaluate(withoutApproval(org!, verdict.consume), input, point);
    }
    const decisionId = newId('decision');
    const reason = REASONS[verdict.reason];
    let approvalId: string | undefined;
    if (verdict.outcome === 'review') {
      approvalId =
        verdict.approvalId ?? (await this.approvals.open(org!.orgId, input, reviewRule(org!, input, now)!, decisionId));
    }
    return {
      outcome: verdict.outcome,
      reason: verdict.reason,
      status: reason.status,
      message: reason.message,
      recovery: reason.recovery,
      decisionId,
      ...(approvalId ? { approvalId } : {}),
      inputs: { point, org_id: org?.orgId ?? null, ...verdict.inputs },
    };
  }

  /**
   * At issuance, introspection and on a bearer route the principal was resolved live just
   * before; what remains is that it (and its client) belong to this org. Named users (the
   * decision API) are looked up through the cache.
   */
  private async isMember(org: OrgState, request: AccessRequest): Promise<boolean> {
    const { subject } = request;
    // A registered app must be this org's. A self-registered client (a metadata-document URL or
    // `dcr_…`) belongs to no org: the ClientResolver admitted it for this one under the org's
    // policy and blocks just before (docs/client-registration.md#one-resolver).
    if (subject.clientId && isId('app', subject.clientId) && !org.apps.has(subject.clientId)) return false;
    if (subject.tier === 'app') return org.apps.has(subject.id);
    const user = await this.state.user(subject.id);
    return user !== null && user.orgId === org.orgId && !user.disabled;
  }
}

/**
 * A verifier must keep reading the revocation feed while its org is stopped, or it would
 * never learn of the stop (docs/control.md#offline): a token that carries only the feed
 * scope, and the feed route itself, are not governed.
 */
function learnsOfStops(request: AccessRequest): boolean {
  if (request.point === 'issuance')
    return request.scopes.length > 0 && request.scopes.every((s) => s === REVOCATION_FEED_SCOPE);
  return request.point === 'request' && request.action?.name === 'GET /v1/revocations';
}

function packagesOf(request: AccessRequest): string[] | undefined {
  const pkg = request.context?.package;
  if (typeof pkg === 'string') return [pkg];
  if (Array.isArray(pkg)) return pkg.filter((p): p is string => typeof p === 'string');
  return undefined;
}

function withoutApproval(org: OrgState, id: string): OrgState {
  return { ...org, approvals: org.approvals.filter((a) => a.id !== id) };
}
