import { AuthorizationFailure, single, type AuthorizationContext } from '../authorization-request';

/**
 * RFC 6749 §4.1.2.1: an unknown, malformed or disabled `client_id` is never redirected to
 * (there is no URI to trust); the browser gets the error page. The lookup is the caller's.
 */
export function checkClient(ctx: AuthorizationContext): void {
  const clientId = single(ctx, 'client_id', 'page');
  if (!clientId) throw new AuthorizationFailure('page', 'invalid_request', 'The request names no client_id.');
  if (!ctx.client || ctx.client.id !== clientId) {
    throw new AuthorizationFailure('page', 'invalid_client', 'The application is unknown or disabled.');
  }
  ctx.request.clientId = clientId;
  ctx.request.orgId = ctx.client.orgId;
}
