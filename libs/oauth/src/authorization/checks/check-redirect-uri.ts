import { redirectUriMatches } from '@gatehouse/core';
import { AuthorizationFailure, clientOf, single, type AuthorizationContext } from '../authorization-request';

/**
 * RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: `redirect_uri` is required (the OIDC rule, which
 * every stock client follows) and compared exactly with a registered one (a public client's
 * loopback redirect on any port, RFC 8252 §7.3; a self-registered client's exactly as its
 * document or registration says, docs/client-registration.md#redirect-uris). A mismatch is the
 * error page, never a redirect: an open redirector is how codes are stolen.
 */
export function checkRedirectUri(ctx: AuthorizationContext): void {
  const client = clientOf(ctx);
  const uri = single(ctx, 'redirect_uri', 'page');
  if (!uri) throw new AuthorizationFailure('page', 'invalid_request', 'The request names no redirect_uri.');
  const type = client.signIn.selfRegistered ? 'confidential' : client.signIn.clientType;
  if (!redirectUriMatches(client.signIn.redirectUris, uri, type)) {
    throw new AuthorizationFailure(
      'page',
      'invalid_redirect_uri',
      'The redirect_uri is not one the application registered (compared exactly).',
    );
  }
  ctx.request.redirectUri = uri;
}
