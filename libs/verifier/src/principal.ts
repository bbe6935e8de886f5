import type { AccessTokenClaims, ActClaim, Tier } from './claims';
import { VerifierError } from './errors';
import { actorChain } from './act-chain';

interface PrincipalBase {
  /** The principal's ID (`adm_…`, `app_…`, `usr_…`). */
  sub: string;
  scopes: string[];
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
  aud: string[];
  /** RFC 8693 actor chain of a per-step token, most recent actor first (empty otherwise). */
  actors: string[];
  act?: ActClaim;
  step?: string;
  parent_jti?: string;
  /** Every verified claim, as signed. */
  claims: AccessTokenClaims;
}

/** An administrator: never carries an organization. */
export interface AdminPrincipal extends PrincipalBase {
  tier: 'admin';
  org?: undefined;
  org_id?: undefined;
  client_id?: undefined;
}

/** An application, or a user signed in through one: always inside one organization. */
export interface OrgPrincipal extends PrincipalBase {
  tier: 'app' | 'user';
  /** The organization's name slug. */
  org: string;
  org_id: string;
  client_id: string;
}

/**
 * The caller a verified token speaks for.
 *
 * @example
 * ```ts
 * const p = await verifier.verify(token);
 * if (p.tier !== 'admin') console.log(p.org_id, p.client_id, p.scopes);
 * ```
 */
export type VerifiedPrincipal = AdminPrincipal | OrgPrincipal;

/** One object literal with a fixed shape: this runs on every verification (bench/verify-bench.mjs). */
export function toPrincipal(claims: AccessTokenClaims): VerifiedPrincipal {
  let scopes = claims.scope === '' ? [] : claims.scope.split(' ');
  if (scopes.includes('')) scopes = scopes.filter(Boolean);
  const actors = actorChain(claims.act);
  return {
    tier: claims.tier,
    sub: claims.sub,
    org: claims.org ?? (claims.tier === 'admin' ? undefined : ''),
    org_id: claims.org_id,
    client_id: claims.client_id,
    scopes,
    jti: claims.jti,
    iat: claims.iat,
    exp: claims.exp,
    aud: typeof claims.aud === 'string' ? [claims.aud] : claims.aud,
    actors,
    act: claims.act,
    step: claims.step,
    parent_jti: claims.parent_jti,
    claims,
  } as VerifiedPrincipal;
}

/**
 * Throws `tier_not_allowed` (403) unless the principal is of one of `tiers`.
 *
 * @example
 * ```ts
 * requireTier(principal, 'app', 'user');
 * ```
 */
export function requireTier(p: VerifiedPrincipal, ...tiers: Tier[]): void {
  if (!tiers.includes(p.tier)) {
    throw new VerifierError('tier_not_allowed', `This resource is not available to ${p.tier} tokens.`);
  }
}

/**
 * Throws `insufficient_scope` (403, with the `scope` challenge attribute) unless the
 * principal holds every one of `scopes`.
 *
 * @example
 * ```ts
 * requireScopes(principal, 'invoices:read');
 * ```
 */
export function requireScopes(p: VerifiedPrincipal, ...scopes: string[]): void {
  const missing = scopes.filter((s) => !p.scopes.includes(s));
  if (missing.length) {
    throw new VerifierError('insufficient_scope', `This resource requires the scope "${missing.join(' ')}".`, {
      scope: scopes.join(' '),
    });
  }
}

/**
 * Throws `org_mismatch` (403) unless the principal belongs to `org` (its ID or its name).
 * The answer depends on the token and the URL only, so it reveals nothing about whether
 * the other organization's resource exists.
 *
 * @example
 * ```ts
 * requireOrg(principal, req.params.orgId);
 * ```
 */
export function requireOrg(p: VerifiedPrincipal, org: string | undefined): void {
  if (p.tier === 'admin' || !org || (p.org_id !== org && p.org !== org)) {
    throw new VerifierError('org_mismatch', "The token's organization does not match this resource.");
  }
}

/** What {@link requireDelegation} checks of a per-step (token-exchange) token. */
export interface DelegationRule {
  /** The token must be a step token (carry `act` and `step`). Default true. */
  stepToken?: boolean;
  /** At most this many actors in the `act` chain. */
  maxDepth?: number;
  /** This party must appear in the actor chain (an app's client_id, or a user's id). */
  actor?: string;
  /** The `step` claim must be one of these. */
  steps?: string[];
}

/**
 * Throws `delegation_refused` (403) unless the principal's delegation chain satisfies the
 * rule: a step token, no deeper than `maxDepth`, with `actor` somewhere in its chain. The
 * chain is `principal.actors`, most recent actor first (RFC 8693 §4.1).
 *
 * @example
 * ```ts
 * requireDelegation(principal, { maxDepth: 2, actor: 'app_01J…' });
 * ```
 */
export function requireDelegation(p: VerifiedPrincipal, rule: DelegationRule = {}): void {
  const refuse = (why: string) => {
    throw new VerifierError('delegation_refused', why);
  };
  if ((rule.stepToken ?? true) && (p.actors.length === 0 || p.step === undefined))
    refuse('This resource requires a per-step token.');
  if (rule.maxDepth !== undefined && p.actors.length > rule.maxDepth)
    refuse(`The delegation chain is deeper than ${rule.maxDepth}.`);
  if (rule.actor !== undefined && !p.actors.includes(rule.actor)) refuse('The required actor is not in the chain.');
  if (rule.steps !== undefined && (p.step === undefined || !rule.steps.includes(p.step)))
    refuse('This resource is not for this step.');
}
