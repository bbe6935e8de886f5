/**
 * Per-organization client registration policy (docs/resources.md#client-registration): whether
 * dynamic client registration (RFC 7591) is open, and which Client ID Metadata Documents (an
 * HTTPS URL as `client_id`) the organization accepts. Read by the management API and by the
 * protocol layer; pure, so both apply the same rule.
 */
export const CIMD_POLICIES = ['off', 'any', 'domains'] as const;
export type CimdPolicy = (typeof CIMD_POLICIES)[number];

export interface ClientRegistrationSettings {
  /** `confidential_clients`: registered clients with a secret are admitted too (default: public only). */
  dynamic_client_registration: { enabled: boolean; confidential_clients: boolean };
  client_id_metadata_documents: { policy: CimdPolicy; domains: string[] };
}

/**
 * What an organization that never set a policy gets. Dynamic registration is off (an open
 * registration endpoint is an invitation; an admin turns it on). Metadata documents are
 * accepted from any host, because that is how MCP clients identify themselves and the MCP
 * profile should work without setup: such a client is still fetched through the guarded
 * fetcher, can only redirect to the URIs its own document lists, and its user sees the
 * consent page with the redirect host before anything is granted.
 */
export const DEFAULT_CLIENT_REGISTRATION: Readonly<ClientRegistrationSettings> = Object.freeze({
  dynamic_client_registration: Object.freeze({ enabled: false, confidential_clients: false }),
  client_id_metadata_documents: Object.freeze({
    policy: 'any' as const,
    domains: Object.freeze([]) as unknown as string[],
  }),
});

/**
 * A domain entry: a lower-case host name (`clients.example.com`), matching that host only, or
 * `*.` and a host name (`*.example.com`), matching every host below it but not the name itself.
 */
export const CIMD_DOMAIN_PATTERN =
  /^(\*\.)?(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Whether a metadata document hosted on `host` (lower case, as the URL parser gives it) is allowed. */
export function metadataDocumentHostAllowed(
  policy: ClientRegistrationSettings['client_id_metadata_documents'],
  host: string,
): boolean {
  if (policy.policy === 'off') return false;
  if (policy.policy === 'any') return true;
  return policy.domains.some((d) => (d.startsWith('*.') ? host.endsWith(d.slice(1)) : host === d));
}
