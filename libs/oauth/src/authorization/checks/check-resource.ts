import { AuthorizationFailure, clientOf, OIDC_SCOPES, type AuthorizationContext } from '../authorization-request';
import { resolveResource } from '../../resources/resolve-resource';

/**
 * RFC 8707 §2: one `resource`, a registered resource among the app's audiences (else
 * `invalid_target`, the same answer for unknown, foreign and not allowed). The app's scopes
 * asked for must be ones the resource declares (docs/resources.md#scopes); the OpenID
 * Connect scopes are about the person, not the resource, and always pass.
 */
export function checkResource(ctx: AuthorizationContext): void {
  const client = clientOf(ctx);
  const requested = ctx.params.all('resource');
  const target = resolveResource({
    requested,
    registered: client.resources,
    clientAudiences: client.audiences,
    ceiling: { kind: 'unbound' },
    defaultAudience: ctx.defaultAudience,
  });
  if (!target.ok) throw new AuthorizationFailure('redirect', 'invalid_target', target.description);
  ctx.resource = target.resource;
  ctx.request.resource = target.resource ? target.resource.identifier : null;
  if (!target.resource) return;
  const declared = target.resource.scopes;
  const scopes = ctx.request.scopes ?? [];
  const undeclared = scopes.filter((s) => !(OIDC_SCOPES as readonly string[]).includes(s) && !declared.includes(s));
  if (ctx.params.has('scope') && undeclared.length) {
    throw new AuthorizationFailure(
      'redirect',
      'invalid_scope',
      `Not a scope of the resource ${target.resource.identifier}: ${undeclared.join(' ')}`,
    );
  }
  ctx.request.scopes = scopes.filter((s) => !undeclared.includes(s));
}
