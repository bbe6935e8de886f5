/**
 * The grant types Gatehouse knows (docs/design.md §5), one list for everything that names
 * them: the app schema, the database default, discovery and the OpenAPI document.
 */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** RFC 7523 §2.1, here with an ID-JAG as the assertion (docs/id-jag.md). */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export const GRANT_TYPES = [
  'client_credentials',
  'refresh_token',
  TOKEN_EXCHANGE_GRANT,
  'authorization_code',
  JWT_BEARER_GRANT,
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/**
 * What a new application may use unless its admin says otherwise (the column's default).
 * Token exchange and the authorization code (browser sign-in, docs/sign-in.md#clients) are
 * opt-in: an app uses them only once an admin has granted them.
 */
export const DEFAULT_APP_GRANT_TYPES: readonly GrantType[] = ['client_credentials', 'refresh_token'];

/**
 * How a token was obtained, as the issuer and the access gate see it: a grant of the token
 * endpoint, or one of the sign-in flows of the management API.
 */
export type IssuanceKind = GrantType | 'user_login' | 'admin_login' | 'admin_mfa_enrollment';

/**
 * draft-ietf-oauth-identity-assertion-authz-grant (docs/id-jag.md): the token type an
 * identity provider issues by token exchange, the JWS `typ` of the grant, and the profile a
 * resource authorization server advertises in `authorization_grant_profiles_supported`.
 */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
export const ID_JAG_TYP = 'oauth-id-jag+jwt';
export const ID_JAG_GRANT_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';
