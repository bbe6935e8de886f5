/**
 * The grant types Gatehouse knows (docs/design.md §5), one list for everything that names
 * them: the app schema, the database default, discovery and the OpenAPI document.
 */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const GRANT_TYPES = ['client_credentials', 'refresh_token', TOKEN_EXCHANGE_GRANT, 'authorization_code'] as const;
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
