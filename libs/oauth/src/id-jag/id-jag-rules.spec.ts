import fc from 'fast-check';
import { IdJagRefused, checkClaims, checkHeader, chooseResource, grantedScopes, isIdJagTyp } from './id-jag-rules';

const ISSUER = 'https://rs.example';
const CLIENT = 'app_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const NOW = 1_800_000_000;
const valid = {
  iss: 'https://idp.example',
  sub: 'u1',
  aud: ISSUER,
  client_id: CLIENT,
  jti: 'j1',
  iat: NOW,
  exp: NOW + 300,
};
const check = (extra: Record<string, unknown>) =>
  checkClaims({ ...valid, ...extra }, { issuer: ISSUER, clientId: CLIENT, now: NOW });
const refusedFor = (extra: Record<string, unknown>) => {
  try {
    check(extra);
  } catch (err) {
    return err instanceof IdJagRefused ? err.reason : 'threw something else';
  }
  return 'accepted';
};

describe('ID-JAG rules (docs/id-jag.md#the-checks)', () => {
  it('typ: oauth-id-jag+jwt, with or without application/, any case; nothing else', () => {
    for (const ok of ['oauth-id-jag+jwt', 'OAuth-ID-JAG+JWT', 'application/oauth-id-jag+jwt']) {
      expect(isIdJagTyp(ok)).toBe(true);
    }
    for (const bad of [undefined, 'JWT', 'at+jwt', 'oauth-id-jag', 'application/jwt', 1]) {
      expect(isIdJagTyp(bad)).toBe(false);
    }
  });

  it('alg: the asymmetric allow-list only; no crit', () => {
    expect(checkHeader({ typ: 'oauth-id-jag+jwt', alg: 'ES256' })).toBe('ES256');
    for (const alg of ['none', 'HS256', 'RS512', undefined]) {
      expect(() => checkHeader({ typ: 'oauth-id-jag+jwt', alg })).toThrow(IdJagRefused);
    }
    expect(() => checkHeader({ typ: 'oauth-id-jag+jwt', alg: 'RS256', crit: ['x'] })).toThrow(/critical/);
  });

  it('accepts a valid grant and reads resource, scope, email and auth_time', () => {
    expect(
      check({ resource: ['https://a'], scope: 'a b', email: 'x@y.z', email_verified: true, auth_time: NOW - 5 }),
    ).toEqual({
      iss: valid.iss,
      sub: 'u1',
      jti: 'j1',
      exp: NOW + 300,
      resources: ['https://a'],
      scopes: ['a', 'b'],
      email: 'x@y.z',
      emailVerified: true,
      authTime: NOW - 5,
    });
    expect(check({ aud: [ISSUER] }).resources).toEqual([]);
  });

  it('refuses each broken claim', () => {
    expect(refusedFor({ aud: 'https://other' })).toMatch(/"aud"/);
    expect(refusedFor({ aud: [ISSUER, 'https://other'] })).toMatch(/"aud"/);
    expect(refusedFor({ client_id: 'app_other' })).toMatch(/"client_id"/);
    expect(refusedFor({ sub: '' })).toMatch(/"sub"/);
    expect(refusedFor({ exp: undefined })).toMatch(/"exp"/);
    expect(refusedFor({ exp: NOW - 6 })).toBe('expired');
    expect(refusedFor({ exp: NOW + 606 })).toMatch(/10 minutes/);
    expect(refusedFor({ iat: undefined })).toMatch(/"iat"/);
    expect(refusedFor({ iat: NOW + 6 })).toMatch(/"iat"/);
    expect(refusedFor({ nbf: NOW + 6 })).toMatch(/"nbf"/);
    expect(refusedFor({ jti: '' })).toMatch(/"jti"/);
    expect(refusedFor({ resource: [1] })).toMatch(/"resource"/);
    expect(refusedFor({ scope: ['a'] })).toMatch(/"scope"/);
  });

  it('chooses the one resource: the request within the grant, else the grant’s only one', () => {
    expect(chooseResource('https://a', ['https://a', 'https://b'])).toBe('https://a');
    expect(chooseResource('https://a', [])).toBe('https://a');
    expect(chooseResource(undefined, ['https://a'])).toBe('https://a');
    expect(() => chooseResource('https://c', ['https://a'])).toThrow(
      expect.objectContaining({ error: 'invalid_target' }),
    );
    expect(() => chooseResource(undefined, ['https://a', 'https://b'])).toThrow(
      expect.objectContaining({ error: 'invalid_target' }),
    );
    expect(() => chooseResource(undefined, [])).toThrow(expect.objectContaining({ error: 'invalid_grant' }));
  });

  it('granted scopes are always within requested ∩ asserted ∩ resource ∩ app', () => {
    const scope = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const list = fc.uniqueArray(scope, { maxLength: 5 });
    fc.assert(
      fc.property(fc.option(list, { nil: undefined }), list, list, list, (requested, asserted, resource, app) => {
        const granted = grantedScopes(requested?.join(' '), asserted, resource, app);
        const asked = requested && requested.length ? requested : asserted;
        for (const s of granted) {
          expect(asked).toContain(s);
          expect(asserted).toContain(s);
          expect(resource).toContain(s);
          expect(app).toContain(s);
        }
        // Nothing that is in all four is lost.
        for (const s of asked) {
          if (asserted.includes(s) && resource.includes(s) && app.includes(s)) expect(granted).toContain(s);
        }
        expect(new Set(granted).size).toBe(granted.length);
      }),
    );
  });
});
