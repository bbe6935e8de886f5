import type { ActClaim } from './claims';

/**
 * The most actors any reader takes from one `act` claim. Gatehouse never issues a chain
 * deeper than its exchange limit (`GATEHOUSE_MAX_DELEGATION_DEPTH`, at most 16), so the cap
 * only bounds the work a token can ask of a reader; a chain at the cap is already refused by
 * that limit.
 */
export const MAX_ACT_CHAIN = 32;

/**
 * The RFC 8693 §4.1 `act` claim as a list of actor ids, the current (most recent) actor
 * first and the original one last, at most {@link MAX_ACT_CHAIN} of them. The walk stops at
 * the first link that is not an object with a string `sub`, so a malformed claim yields the
 * well-formed actors above it and nothing else. The one walk of the delegation chain:
 * Gatehouse's issuer, exchange, decision API and console use it as verifiers do.
 *
 * @example
 * ```ts
 * actorChain({ sub: 'app_B', act: { sub: 'app_A' } }); // ['app_B', 'app_A']
 * actorChain(undefined); // []
 * ```
 */
export function actorChain(act: ActClaim | undefined): string[] {
  const ids: string[] = [];
  let a: unknown = act;
  while (ids.length < MAX_ACT_CHAIN && isLink(a)) {
    ids.push(a.sub);
    a = a.act;
  }
  return ids;
}

function isLink(a: unknown): a is ActClaim {
  return typeof a === 'object' && a !== null && typeof (a as { sub?: unknown }).sub === 'string';
}
