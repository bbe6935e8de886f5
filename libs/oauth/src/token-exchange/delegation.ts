import { actorChain, type ActClaim, type Tier } from '@gatehouse/verifier';
import {
  resolveResource,
  scopesForResource,
  type RegisteredResource,
  type ResourceRule,
} from '../resources/resolve-resource';

/**
 * The attenuation rules of token exchange (RFC 8693; docs/design.md §3), as one pure
 * function: what a step token may be, decided only from what the subject token says and
 * what the exchanging app holds — never from whether an `actor_token` happens to be sent.
 *
 * - scope ⊆ the subject's scope ∩ what the app may delegate (its own scopes); an absent
 *   `scope` means all of that intersection, never more; a subject without scope gives none;
 * - exp ≤ the subject's exp and ≤ now + the app's step TTL, computed once, here;
 * - the chain (`act`, outermost = most recent) is one deeper than the subject's, and no
 *   deeper than the limit;
 * - the audience can only narrow: one audience, one of the app's, and inside the subject's
 *   own when the subject was already narrowed (resolve-resource.ts decides it, as for every
 *   grant); for a resource, the scopes it declares and the lifetime it allows bound the token
 *   too (docs/resources.md#rfc-8707);
 * - the subject stays the subject: same `sub`, `tier`, org.
 */
export interface SubjectToken {
  sub: string;
  tier: Tier;
  orgId: string | undefined;
  /** The app the subject token was issued to. */
  clientId: string | undefined;
  scopes: readonly string[];
  exp: number;
  aud: string | readonly string[];
  act?: ActClaim;
  /** The apps its `may_act` names. */
  mayAct: readonly string[];
}

export interface ExchangeRequest {
  caller: { id: string; orgId: string; scopes: readonly string[]; audiences: readonly string[]; stepTokenTtlS: number };
  /**
   * Registered resources of the org this exchange may name: the caller's, and the one the
   * subject token is for (which the step token inherits when none is asked).
   */
  registered: readonly RegisteredResource[];
  /** Who acts: the caller, or the subject of the actor token it sent. */
  actor: string;
  /** The raw `scope` parameter. */
  scope: string | undefined;
  /** `resource` and `audience` values together (RFC 8693 §2.1 allows both, repeated). */
  audiences: readonly string[];
  /** The server's own audience: what an un-narrowed token carries. */
  defaultAudience: string;
  maxDepth: number;
  /** Epoch seconds. */
  now: number;
}

export interface StepGrant {
  scopes: string[];
  exp: number;
  act: ActClaim;
  audience: string;
  /** The registered resource the audience names; null for the default audience. */
  resource: RegisteredResource | null;
  depth: number;
}

export type DelegationRefusal = {
  error: 'invalid_request' | 'invalid_scope' | 'invalid_target';
  /** A stable name of the rule that refused, for the audit row. */
  rule: string;
  description: string;
};

export type Attenuation = { ok: true; grant: StepGrant } | ({ ok: false } & DelegationRefusal);

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3

export function attenuate(subject: SubjectToken, req: ExchangeRequest): Attenuation {
  const refuse = (error: DelegationRefusal['error'], rule: string, description: string): Attenuation => ({
    ok: false,
    error,
    rule,
    description,
  });
  if (subject.tier === 'admin')
    return refuse('invalid_request', 'admin_subject', 'Administrator tokens cannot be exchanged.');
  if (subject.orgId !== req.caller.orgId)
    return refuse('invalid_request', 'other_org', 'The subject token belongs to another organization.');
  if (subject.clientId !== req.caller.id && !subject.mayAct.includes(req.caller.id))
    return refuse(
      'invalid_request',
      'not_may_act',
      'The subject token was issued to another client and does not name this client in may_act.',
    );
  const depth = actorChain(subject.act).length + 1;
  if (depth > req.maxDepth)
    return refuse('invalid_request', 'depth', `The delegation chain would exceed ${req.maxDepth} actors.`);
  if (subject.exp <= req.now) return refuse('invalid_request', 'expired', 'The subject token has expired.');

  const subjectAud = typeof subject.aud === 'string' ? [subject.aud] : [...subject.aud];
  const narrowed = !(subjectAud.length === 1 && subjectAud[0] === req.defaultAudience);
  const target = resolveResource({
    requested: req.audiences,
    registered: req.registered,
    clientAudiences: req.caller.audiences,
    ceiling: narrowed ? { kind: 'bound', identifiers: subjectAud, clientMustHold: false } : { kind: 'unbound' },
    defaultAudience: req.defaultAudience,
  });
  if (!target.ok) return refuse('invalid_target', ...AUDIENCE_REFUSALS[target.rule]);
  const { audience, resource } = target;

  const held = subject.scopes.filter((s) => req.caller.scopes.includes(s));
  const delegable = scopesForResource(held, resource);
  let scopes: string[];
  if (req.scope === undefined || req.scope.trim() === '') scopes = [...new Set(delegable)];
  else {
    const wanted = req.scope.split(' ').filter(Boolean);
    if (wanted.some((s) => !SCOPE_TOKEN.test(s)))
      return refuse('invalid_scope', 'malformed_scope', 'The scope is malformed.');
    const undeclared = wanted.filter((s) => held.includes(s) && !delegable.includes(s));
    if (undeclared.length)
      return refuse(
        'invalid_scope',
        'scope_not_declared',
        `Not a scope of the resource ${audience}: ${undeclared.join(' ')}`,
      );
    const beyond = wanted.filter((s) => !delegable.includes(s));
    if (beyond.length)
      return refuse('invalid_scope', 'scope_widens', `Beyond the subject token or this client: ${beyond.join(' ')}`);
    scopes = [...new Set(wanted)];
  }

  const exp = Math.min(subject.exp, req.now + req.caller.stepTokenTtlS, req.now + (resource?.tokenTtlS ?? Infinity));
  const act: ActClaim = subject.act ? { sub: req.actor, act: subject.act } : { sub: req.actor };
  return { ok: true, grant: { scopes, exp, act, audience, resource, depth } };
}

/** The exchange's words for a refused audience, with the rule names its audit rows have always used. */
const AUDIENCE_REFUSALS: Record<ResourceRule, [rule: string, description: string]> = {
  one_audience: ['one_audience', 'A step token names exactly one audience.'],
  not_allowed: ['audience_not_allowed', 'This client may not request tokens for that audience.'],
  widens: ['audience_widens', 'The audience can only narrow the subject token’s.'],
  choose_resource: ['one_audience', 'Name the audience of the step token.'],
};
