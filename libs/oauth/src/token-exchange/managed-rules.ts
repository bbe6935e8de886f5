/**
 * What a host may get for a managed token (docs/managed-tokens.md#exchange), as one pure
 * function: the caller must be one of the token's hosts in its org; the scope is at most
 * the token's ceiling ∩ the host's scopes (absent: all of that); the audience is one of the
 * host's audiences (RFC 8707), or the default one.
 */
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
}

export type ManagedDecision =
  | { ok: true; scopes: string[]; audience: string | undefined }
  | { ok: false; error: 'invalid_request' | 'invalid_scope' | 'invalid_target'; rule: string; description: string };

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

export function decideManaged(
  token: ManagedSubject,
  caller: ManagedCaller,
  ask: { scope: string | undefined; audiences: readonly string[] },
): ManagedDecision {
  if (token.orgId !== caller.orgId || !token.hosts.includes(caller.id)) {
    return {
      ok: false,
      error: 'invalid_request',
      rule: 'not_a_host',
      description: 'This client is not an approved host of the managed token.',
    };
  }
  const allowed = token.scope.filter((s) => caller.scopes.includes(s));
  let scopes = allowed;
  if (ask.scope !== undefined && ask.scope.trim() !== '') {
    const asked = [...new Set(ask.scope.split(' ').filter(Boolean))];
    if (asked.some((s) => !SCOPE_TOKEN.test(s))) {
      return { ok: false, error: 'invalid_scope', rule: 'scope_malformed', description: 'The scope is malformed.' };
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
  const audiences = [...new Set(ask.audiences)];
  if (audiences.length > 1) {
    return { ok: false, error: 'invalid_target', rule: 'one_audience', description: 'Name one resource.' };
  }
  if (audiences.length === 1 && !caller.audiences.includes(audiences[0])) {
    return {
      ok: false,
      error: 'invalid_target',
      rule: 'audience_not_allowed',
      description: "The resource is not among this client's audiences.",
    };
  }
  return { ok: true, scopes, audience: audiences[0] };
}
