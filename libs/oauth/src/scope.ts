import { InvalidScope } from '@gatehouse/core';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

/**
 * Scope down-selection (RFC 6749 §3.3): no scope requested means everything the client
 * was granted; a requested scope outside the grant is `invalid_scope`, never silently
 * dropped, so a client cannot mistake a narrower token for the one it asked for.
 */
export function selectScopes(requested: string | undefined, granted: readonly string[]): string[] {
  if (requested === undefined || requested.trim() === '') return [...granted];
  const asked = requested.split(' ').filter(Boolean);
  if (asked.some((s) => !SCOPE_TOKEN.test(s))) throw new InvalidScope('The scope is malformed.');
  const unknown = asked.filter((s) => !granted.includes(s));
  if (unknown.length) throw new InvalidScope(`Not granted to this client: ${unknown.join(' ')}`);
  return [...new Set(asked)];
}
