import { createHash } from 'node:crypto';
import { importClientJwks } from '@gatehouse/credentials';
import { JwkError } from '@gatehouse/verifier';
import { ClientRefused, type ClientRefusal } from './client-refused';
import { checkRedirectUris, type ApplicationType } from './redirect-uris';

/** The authentication methods a metadata-document client may use: it can hold no secret we issued. */
export const METADATA_DOCUMENT_AUTH_METHODS = ['none', 'private_key_jwt'] as const;
const GRANT_TYPES = ['authorization_code', 'refresh_token'];
const OPTIONAL_STRINGS = [
  'client_uri',
  'logo_uri',
  'tos_uri',
  'policy_uri',
  'software_id',
  'software_version',
  'scope',
  'jwks_uri',
] as const;

export interface ClientMetadataDocument {
  clientId: string;
  clientName: string;
  redirectUris: string[];
  applicationType: ApplicationType;
  tokenEndpointAuthMethod: (typeof METADATA_DOCUMENT_AUTH_METHODS)[number];
  grantTypes: string[];
  /** The other RFC 7591 §2 members kept (client_uri, logo_uri, jwks_uri, …). */
  extra: Partial<Record<(typeof OPTIONAL_STRINGS)[number], string>> & { jwks?: unknown };
  /** SHA-256 of the bytes fetched, hex: what the audit row records. */
  sha256: string;
}

/**
 * Validates a fetched document for `clientId` (draft-ietf-oauth-client-id-metadata-document
 * §4): a JSON object whose `client_id` equals the URL exactly, with `client_name` and
 * `redirect_uris`; `token_endpoint_auth_method` `none` (the default) or `private_key_jwt`
 * (with `jwks_uri` or `jwks`); no `client_secret`; grant types within the code flow.
 */
export function parseMetadataDocument(clientId: string, body: Buffer): ClientMetadataDocument {
  const refuse = (code: ClientRefusal, message: string) => new ClientRefused(code, message);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw refuse('not_json', 'The client metadata document is not JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw refuse('not_json', 'The client metadata document is not a JSON object.');
  }
  const d = doc as Record<string, unknown>;
  if (d.client_id !== clientId) {
    throw refuse('client_id_mismatch', 'The client metadata document names another client_id.');
  }
  if (typeof d.client_name !== 'string' || d.client_name.trim() === '' || d.client_name.length > 200) {
    throw refuse('missing_client_name', 'The client metadata document needs a client_name (1–200 characters).');
  }
  if (!Array.isArray(d.redirect_uris) || !d.redirect_uris.every((u): u is string => typeof u === 'string')) {
    throw refuse('invalid_redirect_uris', 'The client metadata document needs redirect_uris, a list of URIs.');
  }
  const declaredType = d.application_type;
  if (declaredType !== undefined && declaredType !== 'web' && declaredType !== 'native') {
    throw refuse('invalid_metadata', 'application_type must be web or native.');
  }
  const redirects = checkRedirectUris(d.redirect_uris, declaredType);
  if (redirects.issues.length > 0) {
    throw refuse('invalid_redirect_uris', `The client metadata document's ${redirects.issues[0]}.`);
  }
  const method = d.token_endpoint_auth_method ?? 'none';
  if (!(METADATA_DOCUMENT_AUTH_METHODS as readonly unknown[]).includes(method)) {
    throw refuse('auth_method_not_allowed', 'A metadata-document client authenticates with none or private_key_jwt.');
  }
  if ('client_secret' in d || 'client_secret_expires_at' in d) {
    throw refuse('auth_method_not_allowed', 'A client metadata document must not carry a client_secret.');
  }
  if (method === 'private_key_jwt' && d.jwks_uri === undefined && d.jwks === undefined) {
    throw refuse('invalid_metadata', 'private_key_jwt needs jwks_uri or jwks.');
  }
  if (d.jwks_uri !== undefined && d.jwks !== undefined) {
    throw refuse('invalid_metadata', 'jwks_uri and jwks do not go together (RFC 7591 §2).');
  }
  if (d.jwks_uri !== undefined && (typeof d.jwks_uri !== 'string' || !d.jwks_uri.startsWith('https://'))) {
    throw refuse('invalid_metadata', 'jwks_uri must be an https URL.');
  }
  if (d.jwks !== undefined) {
    try {
      importClientJwks(d.jwks, 'inline');
    } catch (err) {
      if (err instanceof JwkError) throw refuse('invalid_metadata', `jwks ${err.message}.`);
      throw err;
    }
  }
  const grantTypes = d.grant_types ?? ['authorization_code'];
  if (
    !Array.isArray(grantTypes) ||
    grantTypes.length === 0 ||
    !grantTypes.every((g) => GRANT_TYPES.includes(g as string))
  ) {
    throw refuse('invalid_metadata', 'grant_types may list authorization_code and refresh_token only.');
  }
  const responseTypes = d.response_types ?? ['code'];
  if (!Array.isArray(responseTypes) || responseTypes.some((r) => r !== 'code')) {
    throw refuse('invalid_metadata', 'response_types may list code only.');
  }
  const extra: ClientMetadataDocument['extra'] = {};
  for (const k of OPTIONAL_STRINGS) {
    const v = d[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 2048) throw refuse('invalid_metadata', `${k} must be a string.`);
    extra[k] = v;
  }
  if (d.jwks !== undefined) extra.jwks = d.jwks;
  return {
    clientId,
    clientName: d.client_name,
    redirectUris: [...d.redirect_uris],
    applicationType: redirects.applicationType,
    tokenEndpointAuthMethod: method as ClientMetadataDocument['tokenEndpointAuthMethod'],
    grantTypes: [...new Set(grantTypes as string[])],
    extra,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}
