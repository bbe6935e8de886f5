import { pkceProblem } from './pkce';

describe('PKCE verification (RFC 7636 §4.6)', () => {
  // RFC 7636 Appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('passes the verifier of the challenge', () => expect(pkceProblem(challenge, verifier)).toBeNull());
  it('refuses a missing, malformed or wrong verifier', () => {
    expect(pkceProblem(challenge, undefined)).toMatch(/missing/);
    expect(pkceProblem(challenge, 'short')).toMatch(/malformed/);
    expect(pkceProblem(challenge, verifier.replace('d', 'e'))).toMatch(/does not match/);
  });
  it('refuses a verifier for a code issued without a challenge (downgrade)', () => {
    expect(pkceProblem(null, verifier)).toMatch(/without PKCE/);
    expect(pkceProblem(null, undefined)).toBeNull();
  });
});
