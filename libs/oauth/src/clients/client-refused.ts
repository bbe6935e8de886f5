/**
 * Why a `client_id` did not resolve to a client an organization admits
 * (docs/client-registration.md#refusals): the guarded fetcher's codes and the metadata
 * document's for a Client ID Metadata Document, the registration's for a dynamically
 * registered client, and the organization's policy and blocks for both.
 */
export type ClientRefusal =
  // The client_id itself
  | 'unknown_client'
  | 'invalid_client_id_url'
  // The guarded fetcher (docs/client-authentication.md#the-guarded-fetcher)
  | 'scheme_not_allowed'
  | 'address_refused'
  | 'dns_failed'
  | 'redirect_refused'
  | 'too_large'
  | 'timeout'
  | 'http_status'
  | 'network_error'
  // The metadata document
  | 'not_json'
  | 'client_id_mismatch'
  | 'missing_client_name'
  | 'invalid_redirect_uris'
  | 'invalid_metadata'
  | 'auth_method_not_allowed'
  // The organization
  | 'policy_off'
  | 'domain_not_allowed'
  | 'dynamic_registration_off'
  | 'confidential_not_allowed'
  | 'blocked';

/**
 * A refused client. `message` is safe to show the client (the sign-in page, an OAuth
 * `error_description`): it never quotes a fetched body.
 */
export class ClientRefused extends Error {
  constructor(
    readonly code: ClientRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'ClientRefused';
  }
}
