import { DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD, type FieldError, type TokenEndpointAuthMethod } from '@gatehouse/core';
import { checkClientJwks } from '@gatehouse/credentials';

/** The client-authentication fields of an app create or update (docs/client-authentication.md#registering-keys). */
export interface ClientAuthInput {
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  /** An inline public JWK Set; null clears it. */
  jwks?: Record<string, unknown> | null;
  /** Where to fetch the JWK Set from; null clears it. */
  jwks_uri?: string | null;
}

export interface ClientAuthState {
  method: TokenEndpointAuthMethod;
  jwks: unknown;
  jwksUri: string | null;
}

const LOOPBACK_HOSTS = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i;

/**
 * The app's client authentication after `input` is applied to `current` (null: a new app),
 * and what is wrong with it:
 * - RFC 7591 §2: `jwks` and `jwks_uri` are never both set; giving one clears the other;
 * - `jwks` passes the registration rules of checkClientJwks (public keys only, supported
 *   types and algorithms, 10 keys, 16 KB);
 * - `jwks_uri` is an https URL without userinfo or fragment (http to a loopback host only
 *   with GATEHOUSE_CIMD_ALLOW_LOOPBACK); whether it may be reached is the guarded
 *   fetcher's decision at use;
 * - `private_key_jwt` needs one of them.
 */
export function resolveClientAuth(
  current: ClientAuthState | null,
  input: ClientAuthInput,
  opts: { allowLoopback: boolean },
): { state: ClientAuthState; issues: FieldError[] } {
  const issues: FieldError[] = [];
  if (input.jwks && input.jwks_uri) {
    issues.push({ path: 'jwks_uri', message: 'give jwks or jwks_uri, not both (RFC 7591 §2)' });
  }
  let jwks = current?.jwks ?? null;
  let jwksUri = current?.jwksUri ?? null;
  if (input.jwks !== undefined) {
    jwks = input.jwks;
    if (input.jwks !== null) jwksUri = null;
  }
  if (input.jwks_uri !== undefined) {
    jwksUri = input.jwks_uri;
    if (input.jwks_uri !== null) jwks = input.jwks ?? null;
  }
  if (input.jwks) issues.push(...checkClientJwks(input.jwks));
  if (input.jwks_uri) {
    const problem = jwksUriProblem(input.jwks_uri, opts.allowLoopback);
    if (problem) issues.push({ path: 'jwks_uri', message: problem });
  }
  const method = input.token_endpoint_auth_method ?? current?.method ?? DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD;
  if (method === 'private_key_jwt' && jwks === null && jwksUri === null && issues.length === 0) {
    issues.push({ path: 'token_endpoint_auth_method', message: 'private_key_jwt needs jwks or jwks_uri' });
  }
  return { state: { method, jwks, jwksUri }, issues };
}

/** Why `value` cannot be a `jwks_uri` (https; http to a loopback host only when allowed), or null. */
export function jwksUriProblem(value: string, allowLoopback: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry userinfo';
  if (value.includes('#')) return 'must not have a fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && allowLoopback && LOOPBACK_HOSTS.test(url.hostname)) return null;
  return allowLoopback ? 'must be https (or http to a loopback host)' : 'must be an https URL';
}
