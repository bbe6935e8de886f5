import { resolveResource, scopesForResource, type RegisteredResource } from '../resources/resolve-resource';

/**
 * What a host may get for a managed token (docs/managed-tokens.md#exchange), as one pure
 * function: the caller must be one of the token's hosts in its org; the audience is one of the
 * host's registered resources (RFC 8707, decided by resolve-resource.ts as for every grant), or
 * the default one; the scope is at most the token's ceiling ∩ the host's scopes, and for a
 * resource only those it declares (absent: all of that).
 */
/** The one description of every managed subject a caller may not use, live or not. */
export const MANAGED_SUBJECT_INVALID = 'The subject_token is invalid or revoked.';

export interface ManagedSubject {
  orgId: string;
  hosts: readonly string[];
  /** The scope ceiling recorded at creation. */
  scope: readonly string[];
}

export interface ManagedCaller {
  id: string;
  orgId: string;
  scopes: readonly string[];
  audiences: readonly string[];
  /** The registered resources its audiences name. */
  resources: readonly RegisteredResource[];
}

export type ManagedDecision =
  | { ok: true; scopes: string[]; audience: string | undefined; resource: RegisteredResource | null }
  | { ok: false; error: 'invalid_request' | 'invalid_scope' | 'invalid_target'; rule: string; description: string };

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

export function decideManaged(
  token: ManagedSubject,
  caller: ManagedCaller,
  ask: { scope: string | undefined; audiences: readonly string[] },
  defaultAudience: string,
): ManagedDecision {
  if (token.orgId !== caller.orgId || !token.hosts.includes(caller.id)) {
    return {
      ok: false,
      error: 'invalid_request',
      rule: 'not_a_host',
      // The description of an unknown, revoked or regenerated secret: a caller that is not a
      // host must not tell a live token from a dead one (docs/managed-tokens.md#exchange).
      description: MANAGED_SUBJECT_INVALID,
    };
  }
  const target = resolveResource({
    requested: ask.audiences,
    registered: caller.resources,
    clientAudiences: caller.audiences,
    ceiling: { kind: 'unbound' },
    defaultAudience,
  });
  if (!target.ok) {
    return target.rule === 'one_audience'
      ? { ok: false, error: 'invalid_target', rule: 'one_audience', description: 'Name one resource.' }
      : {
          ok: false,
          error: 'invalid_target',
          rule: 'audience_not_allowed',
          description: "The resource is not among this client's audiences.",
        };
  }
  const held = token.scope.filter((s) => caller.scopes.includes(s));
  const allowed = scopesForResource(held, target.resource);
  let scopes = allowed;
  if (ask.scope !== undefined && ask.scope.trim() !== '') {
    const asked = [...new Set(ask.scope.split(' ').filter(Boolean))];
    if (asked.some((s) => !SCOPE_TOKEN.test(s))) {
      return { ok: false, error: 'invalid_scope', rule: 'scope_malformed', description: 'The scope is malformed.' };
    }
    const undeclared = asked.filter((s) => held.includes(s) && !allowed.includes(s));
    if (undeclared.length > 0) {
      return {
        ok: false,
        error: 'invalid_scope',
        rule: 'scope_not_declared',
        description: `Not a scope of the resource ${target.audience}: ${undeclared.join(' ')}`,
      };
    }
    const wider = asked.filter((s) => !allowed.includes(s));
    if (wider.length > 0) {
      return {
        ok: false,
        error: 'invalid_scope',
        rule: 'scope_wider',
        description: `Beyond the managed token's scope for this host: ${wider.join(' ')}`,
      };
    }
    scopes = asked;
  }
  return {
    ok: true,
    scopes,
    audience: target.resource ? target.audience : undefined,
    resource: target.resource,
  };
}
