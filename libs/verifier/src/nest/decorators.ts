import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Tier } from '../claims';
import type { DelegationRule, VerifiedPrincipal } from '../principal';
import { ANONYMOUS, DECISION, DELEGATION, ORG_PARAM, SCOPES, TIERS, type DecisionRule } from './metadata';

/**
 * Lets a route through without a token (the guard denies by default).
 *
 * @example
 * ```ts
 * @AllowAnonymous() @Get('healthz') health() { return { status: 'ok' }; }
 * ```
 */
export const AllowAnonymous = () => SetMetadata(ANONYMOUS, true);

/**
 * Only tokens of these tiers pass (403 `insufficient_scope` otherwise). On a method it
 * replaces the class's rule.
 *
 * @example
 * ```ts
 * @RequireTier('app', 'user') @Get('invoices') list() { … }
 * ```
 */
export const RequireTier = (...tiers: Tier[]) => SetMetadata(TIERS, tiers);

/**
 * The token must hold every one of these scopes (403 `insufficient_scope` with the `scope`
 * challenge attribute). Scopes on the class and on the method are both required.
 *
 * @example
 * ```ts
 * @RequireScopes('invoices:write') @Post('invoices') create() { … }
 * ```
 */
export const RequireScopes = (...scopes: string[]) => SetMetadata(SCOPES, scopes);

/**
 * The caller's organization (its `org_id`, or its name) must equal this route parameter;
 * admin tokens, which carry no organization, never pass.
 *
 * @example
 * ```ts
 * @RequireOrgParam('orgId') @Get('orgs/:orgId/invoices') list() { … }
 * ```
 */
export const RequireOrgParam = (param = 'orgId') => SetMetadata(ORG_PARAM, param);

/**
 * The route runs only if Gatehouse's live decision (AuthZEN, through the module's
 * `decisions` client) allows this action for the caller now — its org's contract, billing,
 * entitlements, policy, pauses and approvals. A refusal is 403 `access_denied` with the
 * decision's `reason`, `recovery` and `decision_id`.
 *
 * @example
 * ```ts
 * @RequireDecision('invoices.export', { resourceType: 'org', resourceParam: 'orgId' })
 * @Post('orgs/:orgId/invoices/export') export() { … }
 * ```
 */
export const RequireDecision = (action: string, rule: Omit<DecisionRule, 'action'> = {}) =>
  SetMetadata(DECISION, { action, ...rule } satisfies DecisionRule);

/**
 * Only per-step tokens (RFC 8693 token exchange) pass, within the rule: a maximum chain
 * depth, a required actor, allowed steps (403 `delegation_refused` otherwise).
 *
 * @example
 * ```ts
 * @RequireStepToken({ maxDepth: 2 }) @Post('orgs/:orgId/invoices/:id/approve') approve() { … }
 * ```
 */
export const RequireStepToken = (rule: DelegationRule = {}) => SetMetadata(DELEGATION, { ...rule, stepToken: true });

/**
 * Injects the verified principal.
 *
 * @example
 * ```ts
 * @Get('me') me(@CurrentPrincipal() p: VerifiedPrincipal) { return { sub: p.sub, tier: p.tier }; }
 * ```
 */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): VerifiedPrincipal | undefined =>
    ctx.switchToHttp().getRequest<{ principal?: VerifiedPrincipal }>().principal,
);
