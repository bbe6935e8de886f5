import { HttpException, Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Tier } from '../claims';
import type { DecisionClient } from '../decision-client';
import { VerifierError } from '../errors';
import {
  requireDelegation,
  requireOrg,
  requireScopes,
  requireTier,
  type DelegationRule,
  type VerifiedPrincipal,
} from '../principal';
import type { TokenRateLimiter } from '../rate-limit/token-rate-limiter';
import type { Verifier } from '../verifier';
import {
  ANONYMOUS,
  DECISION,
  GATEHOUSE_DECISIONS,
  GATEHOUSE_GUARD_OPTIONS,
  GATEHOUSE_RATE_LIMITER,
  GATEHOUSE_VERIFIER,
  ORG_PARAM,
  SCOPES,
  TIERS,
  type DecisionRule,
  type GuardOptions,
  DELEGATION,
} from './metadata';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
  params?: Record<string, string | undefined>;
  principal?: VerifiedPrincipal;
}

/** Fastify's reply and Express's response both have `header(name, value)`; node's has setHeader. */
interface HttpResponse {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

const getMetadata = <T>(key: string, target: object): T | undefined =>
  (Reflect as unknown as { getMetadata(k: string, t: object): T | undefined }).getMetadata(key, target);

/**
 * Deny by default: every route needs a valid Gatehouse token unless marked
 * {@link AllowAnonymous}; then the route's {@link RequireTier}, {@link RequireScopes} and
 * {@link RequireOrgParam} rules, then the per-token rate limit (when a limiter is
 * configured). A refusal is an RFC 6750 answer: the status, `WWW-Authenticate` and a
 * `{ error, error_description }` body. Register it globally
 * (`{ provide: APP_GUARD, useExisting: GatehouseGuard }`) or with `@UseGuards`.
 */
@Injectable()
export class GatehouseGuard implements CanActivate {
  constructor(
    @Inject(GATEHOUSE_VERIFIER) private readonly verifier: Verifier,
    @Optional() @Inject(GATEHOUSE_RATE_LIMITER) private readonly limiter: TokenRateLimiter | null,
    @Optional() @Inject(GATEHOUSE_GUARD_OPTIONS) private readonly options: GuardOptions | null,
    @Optional() @Inject(GATEHOUSE_DECISIONS) private readonly decisions: DecisionClient | null = null,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const handler = ctx.getHandler();
    const cls = ctx.getClass();
    if (getMetadata<boolean>(ANONYMOUS, handler) ?? getMetadata<boolean>(ANONYMOUS, cls)) return true;
    const http = ctx.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<HttpResponse>();
    try {
      const principal = await this.verifier.verifyRequest(req.headers.authorization);
      const tiers = getMetadata<Tier[]>(TIERS, handler) ?? getMetadata<Tier[]>(TIERS, cls);
      if (tiers) requireTier(principal, ...tiers);
      const scopes = [...(getMetadata<string[]>(SCOPES, cls) ?? []), ...(getMetadata<string[]>(SCOPES, handler) ?? [])];
      if (scopes.length) requireScopes(principal, ...scopes);
      const orgParam = getMetadata<string>(ORG_PARAM, handler) ?? getMetadata<string>(ORG_PARAM, cls);
      if (orgParam) requireOrg(principal, req.params?.[orgParam]);
      const delegation =
        getMetadata<DelegationRule>(DELEGATION, handler) ?? getMetadata<DelegationRule>(DELEGATION, cls);
      if (delegation) requireDelegation(principal, delegation);
      if (this.limiter) setHeaders(res, (await this.limiter.enforce(principal)).headers);
      const rule = getMetadata<DecisionRule>(DECISION, handler) ?? getMetadata<DecisionRule>(DECISION, cls);
      if (rule) await this.requireDecision(rule, principal, req);
      req.principal = principal;
      return true;
    } catch (err) {
      if (!(err instanceof VerifierError)) throw err;
      setHeaders(res, err.responseHeaders(this.options?.realm));
      throw new HttpException(err.toJSON(), err.status, { cause: err });
    }
  }

  /** RequireDecision: Gatehouse's live decision for this caller, action and resource. */
  private async requireDecision(rule: DecisionRule, principal: VerifiedPrincipal, req: HttpRequest): Promise<void> {
    const decisions = this.decisions;
    if (!decisions) throw new Error('RequireDecision needs GatehouseVerifierModule.forRoot({ decisions })');
    if (principal.tier === 'admin')
      throw new VerifierError('access_denied', 'Administrator tokens are not governed here.');
    const id = rule.resourceParam ? req.params?.[rule.resourceParam] : req.url?.split('?')[0];
    let d;
    try {
      d = await decisions.decide({
        subject: { type: principal.tier, id: principal.sub, properties: { client_id: principal.client_id } },
        action: { name: rule.action },
        resource: { type: rule.resourceType ?? 'route', id: id ?? '/' },
        context: principal.step ? { step: principal.step } : undefined,
      });
    } catch (err) {
      throw new VerifierError('verifier_unavailable', 'The access decision is not available; try again.', {
        headers: { 'Retry-After': '2' },
        internal: (err as Error).message,
      });
    }
    if (d.decision) return;
    const c = d.context;
    throw new VerifierError('access_denied', c.reason_user ?? 'Access is stopped.', {
      members: {
        ...(c.code ? { reason: c.code } : {}),
        ...(c.recovery ? { recovery: c.recovery } : {}),
        ...(c.decision_id ? { decision_id: c.decision_id } : {}),
        ...(c.approval_id ? { approval_id: c.approval_id } : {}),
      },
    });
  }
}

function setHeaders(res: HttpResponse, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) {
    if (typeof res.header === 'function') res.header(k, v);
    else res.setHeader?.(k, v);
  }
}
