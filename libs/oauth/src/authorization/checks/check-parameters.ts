import { AuthorizationFailure, type AuthorizationContext } from '../authorization-request';

/**
 * RFC 6749 §3.1: no parameter may appear twice. OIDC Core §6: request objects are not
 * supported, and say so with their own error codes.
 */
export function checkParameters(ctx: AuthorizationContext): void {
  const repeated = ctx.params.firstRepeated();
  if (repeated)
    throw new AuthorizationFailure('redirect', 'invalid_request', `Parameter "${repeated}" appears more than once.`);
  if (ctx.params.has('request')) {
    throw new AuthorizationFailure('redirect', 'request_not_supported', 'Request objects are not supported.');
  }
  if (ctx.params.has('request_uri')) {
    throw new AuthorizationFailure('redirect', 'request_uri_not_supported', 'request_uri is not supported.');
  }
}
