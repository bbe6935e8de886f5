import type { ClientRecord } from '../client-cache';
import type { ResolvedClient } from './client-resolver';
import { selfRegisteredTokenClient, type OrgResources } from './self-registered-token-client';

/** Token-endpoint rate for self-registered clients, per client id (docs/design.md §6's default). */
const SELF_REGISTERED_TOKEN_RATE = { requests: 6000, perSeconds: 60 };

/**
 * A self-registered client as a {@link ClientRecord}, so the authorization endpoint's checks and
 * the sign-in pages treat it like an app (docs/client-registration.md#at-the-authorization-endpoint):
 * a public client (or a confidential dynamic one) that must use PKCE, always asks for consent,
 * never signs in with a password, and carries its consent notes in `signIn.selfRegistered`.
 */
export function selfRegisteredClientRecord(
  client: ResolvedClient,
  org: OrgResources,
  defaults: { accessTokenTtlS: number },
  pages: { logoUri?: string; clientUri?: string; policyUri?: string; tosUri?: string } = {},
): ClientRecord {
  const view = selfRegisteredTokenClient(client, org, defaults);
  return {
    id: view.id,
    orgId: view.orgId,
    orgName: view.orgName,
    scopes: view.scopes,
    audiences: view.audiences,
    resources: view.resources,
    tokenTtlS: view.tokenTtlS,
    grantTypes: view.grantTypes,
    delegates: [],
    stepTokenTtlS: view.stepTokenTtlS,
    tokenRateLimit: SELF_REGISTERED_TOKEN_RATE,
    disabled: false,
    secrets: client.secretHash ? [{ hash: client.secretHash, expiresAtMs: null }] : [],
    authMethod: client.authMethod,
    keys: null,
    jwksUri: client.jwksUri,
    dpopBound: false,
    dpopNonceRequired: false,
    signIn: {
      name: client.displayName,
      clientType: client.authMethod === 'none' ? 'public' : 'confidential',
      redirectUris: [...client.redirectUris],
      postLogoutRedirectUris: [],
      requirePkce: true,
      consent: 'required',
      logoUri: httpsOrNull(pages.logoUri),
      clientUri: httpsOrNull(pages.clientUri),
      policyUri: httpsOrNull(pages.policyUri),
      tosUri: httpsOrNull(pages.tosUri),
      passwordLogin: false,
      selfRegistered: {
        source: client.source === 'dynamic' ? 'dynamic' : 'metadata_document',
        redirectHosts: client.consent.redirectHosts,
        allRedirectsLoopback: client.consent.allRedirectsLoopback,
        documentHash: client.documentHash,
      },
    },
  };
}

/** Links a client declared about itself are shown only when they are https. */
function httpsOrNull(uri: string | undefined): string | null {
  return uri && /^https:\/\/[^\s]+$/.test(uri) ? uri : null;
}
