import type { StoppedDecision, Tier } from '@gatehouse/core';

/**
 * The access gate (docs/architecture.md#the-access-gate): the one port through which a valid
 * token can still be stopped. `libs/tokens` declares it and consults it — the issuer before
 * every issuance, introspection, and the bearer guard on every request; `libs/control`
 * implements it and the app module binds it, so the dependency arrow stays control → tokens.
 *
 * A gate answers from memory on the hot path (the control layer reads org state through an
 * invalidating cache); it must never throw for a request it cannot place — an unknown org is
 * a deny with a reason, an unreachable database is a thrown `ProblemError` 503 like anywhere.
 */
export const ACCESS_GATE = Symbol('ACCESS_GATE');

/** Where in the life of a request the gate is asked. */
export type AccessPoint = 'issuance' | 'introspection' | 'request' | 'decision';

/** The principal the request is bound to, as known at that point (claims or live record). */
export interface GateSubject {
  tier: Tier;
  /** `adm_…`, `app_…` or `usr_…`. */
  id: string;
  /** The tenant; absent only for administrators. */
  orgId?: string;
  /** The application the token was issued to (app and user tokens). */
  clientId?: string;
}

export interface AccessRequest {
  point: AccessPoint;
  subject: GateSubject;
  /** Scopes the token carries or is about to carry. */
  scopes: readonly string[];
  /** The `grant_type` at issuance. */
  grantType?: string;
  /** The token's `jti` where there is one (introspection, request; the new token's at issuance). */
  jti?: string;
  /** A step token's `step` claim: the workflow step it serves (governance pauses name it). */
  step?: string;
  /** The actor chain, outermost (most recent) first: client ids or principal ids. */
  actors?: readonly string[];
  /**
   * What is being done. On a bearer route: the HTTP method and route pattern, with `write`
   * for anything but GET/HEAD/OPTIONS; at a decision endpoint, the AuthZEN action name.
   */
  action?: { name: string; write: boolean };
  /** What it is done to (AuthZEN `resource`, or the route's path). */
  resource?: { type: string; id?: string };
  /** Free-form context (AuthZEN `context`). */
  context?: Record<string, unknown>;
}

/** The closed set of outcomes (docs/control.md). */
export type AccessOutcome = 'allow' | 'review' | 'deny';

export interface AccessAllowed {
  outcome: 'allow';
  /** Set when the control layer recorded the decision (an approval consumed, say). */
  decisionId?: string;
}

export interface AccessStopped extends StoppedDecision {
  /** What the decision was made from, for the audit row (never secrets). */
  inputs?: Record<string, unknown>;
}

export type AccessDecision = AccessAllowed | AccessStopped;

export interface AccessGate {
  check(request: AccessRequest): AccessDecision | Promise<AccessDecision>;
}

const ALLOWED: AccessAllowed = Object.freeze({ outcome: 'allow' });

/** The default binding: every valid token passes. */
export class AllowAllAccessGate implements AccessGate {
  check(): AccessDecision {
    return ALLOWED;
  }
}
