import { createHash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.1: 43–128 characters of the unreserved set. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * RFC 7636 §4.6 with the downgrade rule of RFC 9700 §2.1.1: a code with a challenge needs the
 * verifier whose S256 hash it is; a code without one refuses a verifier (an attacker's
 * injected code would otherwise pass). Null when it passes, else why not.
 */
export function pkceProblem(challenge: string | null, verifier: string | undefined): string | null {
  if (challenge === null) return verifier === undefined ? null : 'code_verifier sent for a code issued without PKCE';
  if (verifier === undefined) return 'code_verifier is missing';
  if (!VERIFIER.test(verifier)) return 'code_verifier is malformed';
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected)
    ? null
    : 'code_verifier does not match the code_challenge';
}
