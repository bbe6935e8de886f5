import {
  clientPageUriProblem,
  redirectUriProblem,
  type ClientType,
  type ConsentMode,
  type FieldError,
  type TokenEndpointAuthMethod,
} from '@gatehouse/core';

/** The browser sign-in fields of an app create or update (docs/sign-in.md#clients). */
export interface SignInFieldsInput {
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  client_type?: ClientType;
  require_pkce?: boolean;
  consent?: ConsentMode;
  logo_uri?: string | null;
  client_uri?: string | null;
  policy_uri?: string | null;
  tos_uri?: string | null;
  password_login?: boolean;
}

export interface SignInFields {
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  clientType: ClientType;
  requirePkce: boolean;
  consent: ConsentMode;
  logoUri: string | null;
  clientUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  passwordLogin: boolean;
}

/** What a new app gets: confidential, PKCE required, consent asked, no legacy password endpoint. */
export const SIGN_IN_DEFAULTS: SignInFields = {
  redirectUris: [],
  postLogoutRedirectUris: [],
  clientType: 'confidential',
  requirePkce: true,
  consent: 'required',
  logoUri: null,
  clientUri: null,
  policyUri: null,
  tosUri: null,
  passwordLogin: false,
};

/**
 * The app's sign-in fields after `input` is applied to `current`, the authentication method
 * it ends up with, and what is wrong:
 * - every redirect URI passes redirectUriProblem (https, or http to a loopback host);
 * - a public client authenticates with `none` (set for it when no method is named) and
 *   always requires PKCE (OAuth 2.1 §7.5.1); `none` is for public clients only;
 * - the `authorization_code` grant needs at least one redirect URI;
 * - logo, home, policy and terms pages are https URLs.
 */
export function resolveSignInFields(
  current: SignInFields,
  input: SignInFieldsInput,
  auth: { method: TokenEndpointAuthMethod; methodGiven: boolean },
  grantTypes: readonly string[],
): { fields: SignInFields; method: TokenEndpointAuthMethod; issues: FieldError[] } {
  const issues: FieldError[] = [];
  const fields: SignInFields = {
    redirectUris: input.redirect_uris ?? current.redirectUris,
    postLogoutRedirectUris: input.post_logout_redirect_uris ?? current.postLogoutRedirectUris,
    clientType: input.client_type ?? current.clientType,
    requirePkce: input.require_pkce ?? current.requirePkce,
    consent: input.consent ?? current.consent,
    logoUri: input.logo_uri !== undefined ? input.logo_uri : current.logoUri,
    clientUri: input.client_uri !== undefined ? input.client_uri : current.clientUri,
    policyUri: input.policy_uri !== undefined ? input.policy_uri : current.policyUri,
    tosUri: input.tos_uri !== undefined ? input.tos_uri : current.tosUri,
    passwordLogin: input.password_login ?? current.passwordLogin,
  };
  for (const field of ['redirect_uris', 'post_logout_redirect_uris'] as const) {
    (input[field] ?? []).forEach((uri, i) => {
      const problem = redirectUriProblem(uri);
      if (problem) issues.push({ path: `${field}[${i}]`, message: problem });
    });
  }
  for (const field of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const) {
    const value = input[field];
    const problem = value ? clientPageUriProblem(value) : null;
    if (problem) issues.push({ path: field, message: problem });
  }
  let method = auth.method;
  if (fields.clientType === 'public') {
    if (!auth.methodGiven) method = 'none';
    else if (method !== 'none') {
      issues.push({ path: 'token_endpoint_auth_method', message: 'a public client authenticates with none' });
    }
    if (input.require_pkce === false) {
      issues.push({ path: 'require_pkce', message: 'a public client always requires PKCE (OAuth 2.1 §7.5.1)' });
    }
    fields.requirePkce = true;
  } else if (method === 'none') {
    issues.push({ path: 'token_endpoint_auth_method', message: 'none is for public clients (client_type public)' });
  }
  if (grantTypes.includes('authorization_code') && fields.redirectUris.length === 0) {
    issues.push({ path: 'redirect_uris', message: 'the authorization_code grant needs at least one redirect URI' });
  }
  return { fields, method, issues };
}
