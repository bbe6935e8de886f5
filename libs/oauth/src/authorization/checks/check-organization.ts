import { AuthorizationFailure, clientOf, single, type AuthorizationContext } from '../authorization-request';

/**
 * The `organization` parameter (docs/sign-in.md#organizations), an org's id or name: the
 * sign-in's organization is the client's, and the parameter may only agree with it.
 */
export function checkOrganization(ctx: AuthorizationContext): void {
  const named = single(ctx, 'organization', 'redirect');
  if (named === undefined) return;
  const org = ctx.organization;
  if (!org || org.id !== clientOf(ctx).orgId) {
    throw new AuthorizationFailure(
      'redirect',
      'invalid_request',
      "The organization parameter does not name the application's organization.",
    );
  }
}
