import {
  AuthorizationFailure,
  type AuthorizationCheck,
  type AuthorizationContext,
  type AuthorizationRequest,
} from './authorization-request';
import { checkClient } from './checks/check-client';
import { checkOrganization } from './checks/check-organization';
import { checkParameters } from './checks/check-parameters';
import { checkPkce } from './checks/check-pkce';
import { checkPrompt } from './checks/check-prompt';
import { checkRedirectUri } from './checks/check-redirect-uri';
import { checkResource } from './checks/check-resource';
import { checkResponseType } from './checks/check-response-type';
import { checkScope } from './checks/check-scope';
import { checkStateAndNonce } from './checks/check-state-nonce';

/**
 * The authorization endpoint's checks, in order (docs/sign-in.md#the-authorization-endpoint),
 * the shape of node-oidc-provider's `lib/actions/authorization`. The first two decide
 * whether the redirect URI can be trusted: until both pass, every failure is an error page;
 * after, it is a redirect to the client with `error`, `state` and `iss`. `state` is read
 * right after them, so even the first redirected error can echo it.
 */
export const AUTHORIZATION_CHECKS: readonly AuthorizationCheck[] = [
  checkClient,
  checkRedirectUri,
  checkStateAndNonce,
  checkParameters,
  checkResponseType,
  checkPkce,
  checkScope,
  checkResource,
  checkOrganization,
  checkPrompt,
];

/** Runs every check; the request, or the first failure. Pure: the caller looked the client and org up. */
export function checkAuthorizationRequest(
  ctx: AuthorizationContext,
): { ok: true; request: AuthorizationRequest } | { ok: false; failure: AuthorizationFailure; state: string | null } {
  try {
    for (const check of AUTHORIZATION_CHECKS) check(ctx);
    return { ok: true, request: ctx.request as AuthorizationRequest };
  } catch (err) {
    if (!(err instanceof AuthorizationFailure)) throw err;
    return { ok: false, failure: err, state: ctx.request.state ?? null };
  }
}
