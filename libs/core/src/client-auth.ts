/**
 * How a client authenticates at the token, revocation and introspection endpoints
 * (RFC 7591 §2 `token_endpoint_auth_method`; docs/client-authentication.md). One list for
 * the app schema, the database check, discovery and the OpenAPI document; a method is
 * added here (e.g. `none` for public clients) and nowhere else.
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  // A public client (docs/sign-in.md#clients): it names itself with client_id and proves PKCE.
  'none',
] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/**
 * The methods that present the app's client secret. They are one credential sent two ways,
 * so an app registered with either may use either (what every app could do before the
 * method was recorded).
 */
export const CLIENT_SECRET_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/** What an app that names no method uses: the RFC 7591 §2 default. */
export const DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD: TokenEndpointAuthMethod = 'client_secret_basic';

/** RFC 7523 §2.2: `client_assertion_type` of a JWT client assertion (`private_key_jwt`). */
export const JWT_BEARER_CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
