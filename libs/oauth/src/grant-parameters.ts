import { InvalidRequest } from '@gatehouse/core';
import type { FormParams } from './form-params';
import type { GrantHandler } from './grant';

/** Read by the endpoint itself, for every grant: the grant type and client authentication. */
export const ENDPOINT_PARAMETERS = [
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
] as const;

export interface ParameterRules {
  /** What the grant may read: its declared parameters plus the endpoint's. */
  readable: ReadonlySet<string>;
  repeatable: ReadonlySet<string>;
}

export function parameterRules(grant: Pick<GrantHandler, 'parameters'>): ParameterRules {
  return {
    readable: new Set([...ENDPOINT_PARAMETERS, ...grant.parameters.map((p) => p.name)]),
    repeatable: new Set(grant.parameters.filter((p) => p.repeatable).map((p) => p.name)),
  };
}

/**
 * The token endpoint's parameter rules, before any grant runs:
 * - RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once" —
 *   unless the grant declares the parameter repeatable (RFC 8707 §2 `resource`, RFC 8693
 *   §2.1 `resource` and `audience`). A repeat of anything else, unknown names included, is
 *   `invalid_request`.
 * - RFC 6749 §3.1: unrecognized parameters are ignored, so the grant sees only what it
 *   declared (and cannot read what it did not).
 */
export function applyParameterRules(params: FormParams, rules: ParameterRules): FormParams {
  const repeated = params.firstRepeated(rules.repeatable);
  if (repeated) throw new InvalidRequest(`Parameter "${repeated}" appears more than once.`);
  return params.pick(rules.readable);
}
