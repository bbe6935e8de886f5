/** Injection tokens and metadata keys of the Nest integration. */
export const GATEHOUSE_VERIFIER = Symbol('GATEHOUSE_VERIFIER');
export const GATEHOUSE_RATE_LIMITER = Symbol('GATEHOUSE_RATE_LIMITER');
export const GATEHOUSE_GUARD_OPTIONS = Symbol('GATEHOUSE_GUARD_OPTIONS');
export const GATEHOUSE_DECISIONS = Symbol('GATEHOUSE_DECISIONS');

export const ANONYMOUS = 'gatehouse-verifier:anonymous';
export const TIERS = 'gatehouse-verifier:tiers';
export const SCOPES = 'gatehouse-verifier:scopes';
export const ORG_PARAM = 'gatehouse-verifier:org-param';
export const DECISION = 'gatehouse-verifier:decision';

/** What {@link RequireDecision} asks Gatehouse about. */
export interface DecisionRule {
  action: string;
  /** The AuthZEN resource type (default `route`). */
  resourceType?: string;
  /** The route parameter naming the resource id (default: the request path). */
  resourceParam?: string;
}
export const DELEGATION = 'gatehouse-verifier:delegation';

export interface GuardOptions {
  /** The `realm` of the WWW-Authenticate challenge (RFC 6750 §3). */
  realm?: string;
}
