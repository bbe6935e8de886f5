import { AuthorizationFailure, single, type AuthorizationContext } from '../authorization-request';

const MAX_LENGTH = 1024;

/**
 * RFC 6749 §4.1.1 `state` (optional, echoed back unchanged) and OIDC Core §3.1.2.1 `nonce`
 * (optional, copied into the ID token), each bounded so neither can bloat the stored code.
 */
export function checkStateAndNonce(ctx: AuthorizationContext): void {
  const state = single(ctx, 'state', 'redirect');
  ctx.request.state = state ?? null;
  if (state !== undefined && state.length > MAX_LENGTH) {
    ctx.request.state = null;
    throw new AuthorizationFailure('redirect', 'invalid_request', `state is longer than ${MAX_LENGTH} characters.`);
  }
  const nonce = single(ctx, 'nonce', 'redirect');
  if (nonce !== undefined && nonce.length > MAX_LENGTH) {
    throw new AuthorizationFailure('redirect', 'invalid_request', `nonce is longer than ${MAX_LENGTH} characters.`);
  }
  ctx.request.nonce = nonce ?? null;
}
