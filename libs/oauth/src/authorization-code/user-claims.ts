/** The user fields the claims come from. */
export interface ClaimSource {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  locale: string | null;
  org: { id: string; name: string };
}

/**
 * OIDC Core §5.4: claims by scope — `email` gives `email` and `email_verified`; `profile`
 * gives the profile claims the user has. `org` and `org_id` always (docs/sign-in.md#claims).
 */
export function userClaims(user: ClaimSource, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { org: user.org.name, org_id: user.org.id };
  if (scopes.includes('email')) Object.assign(claims, { email: user.email, email_verified: user.emailVerified });
  if (scopes.includes('profile')) {
    for (const [claim, value] of [
      ['name', user.name],
      ['given_name', user.givenName],
      ['family_name', user.familyName],
      ['locale', user.locale],
    ] as const) {
      if (value !== null) claims[claim] = value;
    }
  }
  return claims;
}

/**
 * The `acr` of a sign-in (docs/sign-in.md#the-id-token): one level per factor count, under
 * Gatehouse's own URN, since `acr_values` are informational here.
 */
export function acrFor(amr: readonly string[]): string {
  return amr.includes('mfa') ? 'urn:gatehouse:acr:mfa' : 'urn:gatehouse:acr:pwd';
}
