import { InvalidClientMetadata, InvalidRedirectUri } from '@gatehouse/core';
import { importClientJwks } from '@gatehouse/credentials';
import { JwkError } from '@gatehouse/verifier';
import { checkRedirectUris, redirectHosts, type ApplicationType } from './redirect-uris';

/** What Gatehouse registers for a dynamic client (docs/client-registration.md#dynamic-client-registration). */
export interface RegistrationInput {
  clientName: string;
  applicationType: ApplicationType;
  redirectUris: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: DynamicAuthMethod;
  /** The other RFC 7591 §2 members kept and returned as registered (`jwks` an object). */
  metadata: Record<string, unknown>;
}

/** How a dynamic client authenticates at the token, revocation and introspection endpoints. */
export type DynamicAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

const KEPT_STRINGS = [
  'client_uri',
  'logo_uri',
  'tos_uri',
  'policy_uri',
  'software_id',
  'software_version',
  'scope',
] as const;
const GRANT_TYPES = ['authorization_code', 'refresh_token'];

/**
 * RFC 7591 §2 and §3.1: the client's metadata, checked and with Gatehouse's values filled in
 * (§3.2.1 lets the server replace requested values; the response says what was registered).
 *
 * - `redirect_uris` required, by the `application_type` rules (redirect-uris.ts):
 *   `invalid_redirect_uri` otherwise.
 * - `token_endpoint_auth_method`: `none` when absent (RFC 7591's default is
 *   `client_secret_basic`, but Gatehouse registers public clients unless a client asks for a
 *   secret); `client_secret_basic`, `client_secret_post` and `private_key_jwt` (with `jwks`
 *   or an https `jwks_uri`, not both — RFC 7591 §2) only when `allowConfidential`; anything
 *   else is `invalid_client_metadata`.
 * - `grant_types` within `authorization_code` and `refresh_token` (default the first);
 *   `response_types` `code` only (§2.1 keeps the two consistent).
 * - `client_name` (default: "Client at <first redirect host>"), URIs and `contacts` kept as
 *   sent; `jwks`/`jwks_uri` only with `private_key_jwt`; a `software_statement` is ignored
 *   (§2.3 allows that).
 */
export function parseRegistrationRequest(body: unknown, opts: { allowConfidential: boolean }): RegistrationInput {
  const bad = (msg: string) => new InvalidClientMetadata(msg);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw bad('The request body must be a JSON object.');
  const b = body as Record<string, unknown>;

  const declared = b.application_type;
  if (declared !== undefined && declared !== 'web' && declared !== 'native')
    throw bad('application_type must be web or native.');
  if (!Array.isArray(b.redirect_uris) || !b.redirect_uris.every((u): u is string => typeof u === 'string')) {
    throw new InvalidRedirectUri('redirect_uris must be a list of URIs.');
  }
  const redirects = checkRedirectUris(b.redirect_uris, declared);
  if (redirects.issues.length > 0) throw new InvalidRedirectUri(`${redirects.issues.join('; ')}.`);

  const method = b.token_endpoint_auth_method ?? 'none';
  if (method === 'client_secret_basic' || method === 'client_secret_post' || method === 'private_key_jwt') {
    if (!opts.allowConfidential) {
      throw bad('Only public clients (token_endpoint_auth_method "none") may register here.');
    }
  } else if (method !== 'none') {
    throw bad('token_endpoint_auth_method must be none, client_secret_basic, client_secret_post or private_key_jwt.');
  }
  const keys: Record<string, unknown> = {};
  if (method === 'private_key_jwt') {
    if ((b.jwks === undefined) === (b.jwks_uri === undefined))
      throw bad('private_key_jwt needs jwks or jwks_uri (one of them).');
    if (b.jwks_uri !== undefined) {
      if (typeof b.jwks_uri !== 'string' || !b.jwks_uri.startsWith('https://') || b.jwks_uri.length > 2048)
        throw bad('jwks_uri must be an https URL.');
      keys.jwks_uri = b.jwks_uri;
    } else {
      try {
        importClientJwks(b.jwks, 'inline');
      } catch (err) {
        if (err instanceof JwkError) throw bad(`jwks ${err.message}.`);
        throw err;
      }
      keys.jwks = b.jwks;
    }
  } else if (b.jwks !== undefined || b.jwks_uri !== undefined) {
    throw bad('jwks and jwks_uri go with token_endpoint_auth_method private_key_jwt only.');
  }

  const grantTypes = b.grant_types ?? ['authorization_code'];
  if (
    !Array.isArray(grantTypes) ||
    grantTypes.length === 0 ||
    !grantTypes.every((g) => typeof g === 'string' && GRANT_TYPES.includes(g))
  ) {
    throw bad('grant_types may list authorization_code and refresh_token only.');
  }
  if (!grantTypes.includes('authorization_code')) throw bad('grant_types must include authorization_code.');
  const responseTypes = b.response_types ?? ['code'];
  if (!Array.isArray(responseTypes) || responseTypes.length === 0 || responseTypes.some((r) => r !== 'code')) {
    throw bad('response_types may list code only.');
  }

  let clientName = `Client at ${redirectHosts(b.redirect_uris)[0]}`;
  if (b.client_name !== undefined) {
    if (typeof b.client_name !== 'string' || b.client_name.trim() === '' || b.client_name.length > 200) {
      throw bad('client_name must be 1–200 characters.');
    }
    clientName = b.client_name;
  }
  const metadata: RegistrationInput['metadata'] = {};
  for (const k of KEPT_STRINGS) {
    const v = b[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 2048) throw bad(`${k} must be a string of at most 2048 characters.`);
    metadata[k] = v;
  }
  if (b.contacts !== undefined) {
    if (
      !Array.isArray(b.contacts) ||
      b.contacts.length > 10 ||
      !b.contacts.every((c) => typeof c === 'string' && c.length <= 320)
    ) {
      throw bad('contacts must be a list of at most 10 strings.');
    }
    metadata.contacts = b.contacts as string[];
  }
  Object.assign(metadata, keys);
  return {
    clientName,
    applicationType: redirects.applicationType,
    redirectUris: [...b.redirect_uris],
    grantTypes: [...new Set(grantTypes as string[])],
    tokenEndpointAuthMethod: method,
    metadata,
  };
}
