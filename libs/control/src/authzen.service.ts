import { Injectable } from '@nestjs/common';
import { newId, ProblemError } from '@gatehouse/core';
import type { RequestMeta } from '@gatehouse/audit';
import { AccessTokenVerifier, GatedAccess, type AccessRequest, type GateSubject } from '@gatehouse/tokens';
import { actorChain } from '@gatehouse/verifier';
import { isWrite, type EvaluationRequest, type EvaluationResponse, type EvaluationsRequest } from './authzen';

/** The PEP asking: an application authenticated with its own client credentials. */
export interface DecisionCaller {
  clientId: string;
  orgId: string;
}

type Placed =
  { subject: GateSubject; step?: string; actors?: string[]; jti?: string; scopes?: string[] } | { invalid: string };

/**
 * The AuthZEN decision endpoints (docs/control.md#authzen). A subject is a Gatehouse
 * principal (`user`/`app` with its ID) or a token (`token`, the access token itself); it is
 * always placed in the caller's organization, so a principal of another org is simply not a
 * member (org_membership_missing) and reveals nothing. Every decision goes through
 * GatedAccess, which audits each one that is not an allow.
 */
@Injectable()
export class AuthzenService {
  constructor(
    private readonly gated: GatedAccess,
    private readonly tokens: AccessTokenVerifier,
  ) {}

  async evaluate(meta: RequestMeta, caller: DecisionCaller, req: EvaluationRequest): Promise<EvaluationResponse> {
    const placed = await this.place(caller, req.subject);
    if ('invalid' in placed) {
      return {
        decision: false,
        context: {
          decision_id: newId('decision'),
          outcome: 'deny',
          code: 'invalid_token',
          reason_user: placed.invalid,
          reason_admin: placed.invalid,
        },
      };
    }
    const pkg = req.resource.properties?.package;
    const request: AccessRequest = {
      point: 'decision',
      subject: placed.subject,
      // A token's scopes count against the package map (docs/control.md#package-map).
      scopes: placed.scopes ?? [],
      jti: placed.jti,
      step: placed.step ?? (typeof req.context?.step === 'string' ? req.context.step : undefined),
      actors: placed.actors,
      action: { name: req.action.name, write: isWrite(req.action) },
      resource: { type: req.resource.type, id: req.resource.id },
      context: { ...req.context, ...(pkg !== undefined ? { package: pkg } : {}), pep: caller.clientId },
    };
    const d = await this.gated.decide(meta, request);
    if (d.outcome === 'allow') {
      // The gate names an allow only when it spent a one-time approval.
      if (d.decisionId)
        return { decision: true, context: { decision_id: d.decisionId, outcome: 'allow', single_use: true } };
      return { decision: true, context: { decision_id: newId('decision'), outcome: 'allow' } };
    }
    return {
      decision: false,
      context: {
        decision_id: d.decisionId,
        outcome: d.outcome,
        code: d.reason,
        reason_user: d.message,
        reason_admin: `${d.message} Decision ${d.decisionId}: ${summary(d.inputs ?? {})}`,
        recovery: d.recovery,
        ...(d.approvalId ? { approval_id: d.approvalId } : {}),
      },
    };
  }

  /** §7: each item inherits the top-level values; the semantic may stop at the first deny or permit. */
  async evaluations(meta: RequestMeta, caller: DecisionCaller, req: EvaluationsRequest) {
    const items = req.evaluations?.length ? req.evaluations : [{}];
    const semantic = req.options?.evaluations_semantic ?? 'execute_all';
    const out: EvaluationResponse[] = [];
    for (const item of items) {
      const subject = item.subject ?? req.subject;
      const action = item.action ?? req.action;
      const resource = item.resource ?? req.resource;
      if (!subject || !action || !resource) {
        throw new ProblemError(400, 'validation_failed', 'Request validation failed', {
          detail: 'Each evaluation needs a subject, an action and a resource, its own or the request’s.',
        });
      }
      const context = item.context || req.context ? { ...req.context, ...item.context } : undefined;
      const r = await this.evaluate(meta, caller, { subject, action, resource, context });
      out.push(r);
      if ((semantic === 'deny_on_first_deny' && !r.decision) || (semantic === 'permit_on_first_permit' && r.decision))
        break;
    }
    return { evaluations: out };
  }

  private async place(caller: DecisionCaller, s: EvaluationRequest['subject']): Promise<Placed> {
    switch (s.type) {
      case 'user':
        return { subject: { tier: 'user', id: s.id, orgId: caller.orgId, clientId: str(s.properties?.client_id) } };
      case 'app':
      case 'application':
      case 'client':
        return { subject: { tier: 'app', id: s.id, orgId: caller.orgId, clientId: s.id } };
      case 'token': {
        let claims;
        try {
          claims = await this.tokens.verify(s.id);
        } catch (err) {
          if (err instanceof ProblemError && err.status === 401)
            return { invalid: err.detail ?? 'The token is not valid.' };
          throw err;
        }
        if (claims.tier === 'admin') return { invalid: 'Administrator tokens are not governed by an organization.' };
        // A token of another org is placed in it, and so is not a member of the caller's org.
        const sameOrg = claims.org_id === caller.orgId;
        return {
          subject: {
            tier: claims.tier,
            id: claims.sub,
            orgId: caller.orgId,
            clientId: sameOrg ? claims.client_id : '-',
          },
          step: claims.step,
          actors: optional(actorChain(claims.act)),
          jti: claims.jti,
          scopes: claims.scope ? claims.scope.split(' ') : [],
        };
      }
      default:
        return { subject: { tier: 'user', id: `-${s.type}`, orgId: caller.orgId, clientId: '-' } };
    }
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

const optional = (ids: string[]) => (ids.length ? ids : undefined);

function summary(inputs: Record<string, unknown>): string {
  return Object.entries(inputs)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}
