import { InvalidScope } from '@gatehouse/core';
import { selectScopes } from './scope';

describe('selectScopes (RFC 6749 §3.3)', () => {
  const granted = ['orders:read', 'orders:write', 'profile'];

  it('no scope, or an empty one, means everything granted', () => {
    expect(selectScopes(undefined, granted)).toEqual(granted);
    expect(selectScopes('', granted)).toEqual(granted);
    expect(selectScopes('   ', granted)).toEqual(granted);
  });

  it('a subset is returned as asked, once each', () => {
    expect(selectScopes('profile orders:read profile', granted)).toEqual(['profile', 'orders:read']);
  });

  it('anything beyond the grant is invalid_scope naming it, never silently dropped', () => {
    expect(() => selectScopes('profile admin', granted)).toThrow(new InvalidScope('Not granted to this client: admin'));
  });

  it('a malformed scope-token (a quote, a backslash, a control character) is invalid_scope', () => {
    for (const bad of ['pro"file', 'a\\b', 'x\u0001']) {
      expect(() => selectScopes(bad, granted)).toThrow(InvalidScope);
    }
  });

  it('an empty grant allows only the empty request', () => {
    expect(selectScopes(undefined, [])).toEqual([]);
    expect(() => selectScopes('profile', [])).toThrow(InvalidScope);
  });
});
