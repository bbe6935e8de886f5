import { AuthorizationFailure, clientOf, single, type AuthorizationContext } from '../authorization-request';
import { RESPONSE_MODES, type ResponseMode } from '../authorization-request';

/**
 * OAuth 2.1 §4.1.1: `response_type=code` only (the implicit and hybrid flows are gone), for a
 * client allowed the `authorization_code` grant; `response_mode` `query` (the default) or
 * `form_post`.
 */
export function checkResponseType(ctx: AuthorizationContext): void {
  const mode = single(ctx, 'response_mode', 'redirect') ?? 'query';
  if (!(RESPONSE_MODES as readonly string[]).includes(mode)) {
    throw new AuthorizationFailure('redirect', 'invalid_request', 'response_mode must be query or form_post.');
  }
  ctx.request.responseMode = mode as ResponseMode;
  const type = single(ctx, 'response_type', 'redirect');
  if (!type) throw new AuthorizationFailure('redirect', 'invalid_request', 'response_type is required.');
  if (type !== 'code') {
    throw new AuthorizationFailure('redirect', 'unsupported_response_type', 'Only response_type=code is supported.');
  }
  if (!clientOf(ctx).grantTypes.includes('authorization_code')) {
    throw new AuthorizationFailure(
      'redirect',
      'unauthorized_client',
      'This application may not use the authorization_code grant.',
    );
  }
}
