import { AuthorizationFailure, clientOf, single, type AuthorizationContext } from '../authorization-request';

/** RFC 7636 §4.2: a challenge is 43–128 characters of the unreserved set. */
const CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * RFC 7636 §4.3 and OAuth 2.1 §4.1.1: PKCE with `S256` only. `plain` (and a challenge sent
 * without a method, which means `plain`) is refused; a client that requires PKCE (always, for
 * public clients) must send a challenge.
 */
export function checkPkce(ctx: AuthorizationContext): void {
  const challenge = single(ctx, 'code_challenge', 'redirect');
  const method = single(ctx, 'code_challenge_method', 'redirect');
  if (challenge === undefined) {
    if (method !== undefined) {
      throw new AuthorizationFailure('redirect', 'invalid_request', 'code_challenge_method without code_challenge.');
    }
    if (clientOf(ctx).signIn.requirePkce) {
      throw new AuthorizationFailure('redirect', 'invalid_request', 'code_challenge is required (PKCE, S256).');
    }
    ctx.request.codeChallenge = null;
    ctx.request.codeChallengeMethod = null;
    return;
  }
  if (method !== 'S256') {
    throw new AuthorizationFailure(
      'redirect',
      'invalid_request',
      'code_challenge_method must be S256; plain is not supported.',
    );
  }
  if (!CHALLENGE.test(challenge)) {
    throw new AuthorizationFailure('redirect', 'invalid_request', 'code_challenge is malformed.');
  }
  ctx.request.codeChallenge = challenge;
  ctx.request.codeChallengeMethod = 'S256';
}
