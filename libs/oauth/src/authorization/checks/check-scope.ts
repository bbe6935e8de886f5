import {
  AuthorizationFailure,
  clientOf,
  OIDC_SCOPES,
  single,
  type AuthorizationContext,
} from '../authorization-request';

/**
 * RFC 6749 §3.3: each scope is an OpenID Connect one (`openid`, `profile`, `email`,
 * `offline_access`) or one the app holds; anything else is `invalid_scope`, never silently
 * dropped. No `scope`: the app's scopes (§3.3 "a pre-defined default").
 */
export function checkScope(ctx: AuthorizationContext): void {
  const client = clientOf(ctx);
  const raw = single(ctx, 'scope', 'redirect');
  if (raw === undefined) {
    ctx.request.scopes = [...client.scopes];
    return;
  }
  const asked = [...new Set(raw.split(' ').filter(Boolean))];
  const unknown = asked.filter((s) => !(OIDC_SCOPES as readonly string[]).includes(s) && !client.scopes.includes(s));
  if (unknown.length) {
    throw new AuthorizationFailure(
      'redirect',
      'invalid_scope',
      `Not a scope of this application: ${unknown.join(' ')}`,
    );
  }
  ctx.request.scopes = asked;
}
