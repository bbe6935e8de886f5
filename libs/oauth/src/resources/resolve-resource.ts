import { InvalidScope } from '@gatehouse/core';
import { selectScopes } from '../scope';

/**
 * RFC 8707 resource indicators, decided in one place for every grant that issues an access
 * token (client credentials, refresh, token exchange, and the authorization code): which one
 * audience the token names, which scopes it may carry, and how long it may live
 * (docs/resources.md#rfc-8707). Pure: the grants look the resources up and pass them in.
 */

/** A registered resource, as issuance needs it. */
export interface RegisteredResource {
  /** Compared exactly as registered (docs/resources.md#identifiers). */
  identifier: string;
  /** The scope names the resource declares. */
  scopes: readonly string[];
  /** Caps the lifetime of its tokens; null: no cap of its own. */
  tokenTtlS: number | null;
}

/**
 * What the grant being used already covers, which a refresh or an exchange can only narrow:
 * - `unbound`: it named no resource (a client's own credentials, the password sign-in, a token
 *   for the default audience): the default audience, or any resource the client may ask for;
 * - `bound`: it was made for these resources only. Without a `resource` the new token inherits
 *   the one it names (several: the client must choose); `clientMustHold` says whether the client
 *   must still be allowed that resource (a refresh: yes, a session loses what its app lost; an
 *   exchange: no, the step token keeps the subject's audience, docs/design.md §3).
 */
export type ResourceCeiling =
  { kind: 'unbound' } | { kind: 'bound'; identifiers: readonly string[]; clientMustHold: boolean };

export interface ResourceRequest {
  /** The request's `resource` values (and, for token exchange, its `audience` values). */
  requested: readonly string[];
  /** Registered resources of the client's organization this request may name. */
  registered: readonly RegisteredResource[];
  /** The identifiers the client may ask tokens for (its app's `audiences`). */
  clientAudiences: readonly string[];
  ceiling: ResourceCeiling;
  /** `GATEHOUSE_AUDIENCE`: the audience of a token that names no resource (docs/design.md §3). */
  defaultAudience: string;
}

export type ResourceRule = 'one_audience' | 'not_allowed' | 'widens' | 'choose_resource';

export type ResourceResolution =
  | { ok: true; audience: string; resource: RegisteredResource | null }
  | { ok: false; error: 'invalid_target'; rule: ResourceRule; description: string };

/**
 * The one audience of the token to issue.
 * - At most one distinct resource per request: a token names exactly one audience.
 * - A named resource must be registered in the client's organization and be one of the
 *   client's audiences; an unknown, foreign or not-allowed resource gets the same answer, so
 *   the answer says nothing about other organizations.
 * - It must lie inside a bound ceiling (narrowing only).
 * - None named: the bound ceiling's one resource, or else the default audience.
 */
export function resolveResource(req: ResourceRequest): ResourceResolution {
  const refuse = (rule: ResourceRule, description: string): ResourceResolution => ({
    ok: false,
    error: 'invalid_target',
    rule,
    description,
  });
  const asked = [...new Set(req.requested)];
  const { ceiling } = req;
  if (asked.length > 1) return refuse('one_audience', 'A token names exactly one audience; ask for one resource.');
  const registered = (identifier: string) => req.registered.find((r) => r.identifier === identifier);
  if (asked.length === 1) {
    const resource = registered(asked[0]);
    if (!resource || !req.clientAudiences.includes(asked[0])) {
      return refuse('not_allowed', 'This client may not request tokens for that resource.');
    }
    if (ceiling.kind === 'bound' && !ceiling.identifiers.includes(asked[0])) {
      return refuse('widens', 'The resource can only narrow what was granted.');
    }
    return { ok: true, audience: resource.identifier, resource };
  }
  if (ceiling.kind === 'unbound') return { ok: true, audience: req.defaultAudience, resource: null };
  if (ceiling.identifiers.length !== 1) {
    return refuse('choose_resource', 'The grant covers several resources; name one with the resource parameter.');
  }
  const inherited = registered(ceiling.identifiers[0]);
  if (!inherited || (ceiling.clientMustHold && !req.clientAudiences.includes(inherited.identifier))) {
    return refuse('not_allowed', 'The resource of this grant is no longer available to this client.');
  }
  return { ok: true, audience: inherited.identifier, resource: inherited };
}

/**
 * The scope rule of a token bound to a resource (docs/resources.md#scopes): it carries the
 * scopes the client holds that the resource declares, and no others. A token for the default
 * audience carries the client's scopes as before.
 */
export function scopesForResource(held: readonly string[], resource: RegisteredResource | null): string[] {
  return resource ? held.filter((s) => resource.scopes.includes(s)) : [...held];
}

/**
 * RFC 6749 §3.3 down-selection within {@link scopesForResource}: no `scope` means all of it; a
 * requested scope beyond it is `invalid_scope`, naming whether the client lacks it or the
 * resource does not declare it, never silently dropped.
 */
export function selectResourceScopes(
  requested: string | undefined,
  held: readonly string[],
  resource: RegisteredResource | null,
): string[] {
  const allowed = scopesForResource(held, resource);
  if (resource && requested !== undefined) {
    const undeclared = requested.split(' ').filter((s) => s && held.includes(s) && !resource.scopes.includes(s));
    if (undeclared.length) {
      throw new InvalidScope(
        `Not a scope of the resource ${resource.identifier}: ${[...new Set(undeclared)].join(' ')}`,
      );
    }
  }
  return selectScopes(requested, allowed);
}

/** A token for a resource lives no longer than the resource allows (docs/resources.md#lifetimes). */
export function capLifetime(ttlS: number, resource: RegisteredResource | null): number {
  return resource?.tokenTtlS != null ? Math.min(ttlS, resource.tokenTtlS) : ttlS;
}
