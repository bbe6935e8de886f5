import type { AuthenticatedClient } from '../client-authenticator';
import type { RegisteredResource } from '../resources/resolve-resource';
import type { ResolvedClient } from './client-resolver';

/** The refresh scope a self-registered client may hold on top of its resources' (OIDC Core §11). */
export const OFFLINE_ACCESS = 'offline_access';

export interface OrgResources {
  orgName: string;
  /** The organization's registered (not legacy) resources. */
  resources: RegisteredResource[];
}

/**
 * A self-registered client as the token endpoint's grants see an app
 * (docs/client-registration.md#at-the-token-endpoint): it may ask for any registered resource
 * of the organization it was admitted to, and hold any scope those resources declare plus
 * `offline_access` — what it actually gets is what the user consented to, recorded in the code
 * and the refresh family, which only narrow. No client credentials grant (there is no user),
 * no delegation, the default lifetimes and token rate.
 */
export function selfRegisteredTokenClient(
  client: ResolvedClient,
  org: OrgResources,
  defaults: { accessTokenTtlS: number },
): AuthenticatedClient {
  const scopes = [...new Set([...org.resources.flatMap((r) => r.scopes), OFFLINE_ACCESS])].sort();
  return {
    id: client.clientId,
    orgId: client.orgId,
    orgName: org.orgName,
    scopes,
    audiences: org.resources.map((r) => r.identifier),
    resources: org.resources,
    tokenTtlS: defaults.accessTokenTtlS,
    grantTypes: client.grantTypes.filter((g) => g === 'authorization_code' || g === 'refresh_token'),
    delegates: [],
    stepTokenTtlS: 120,
    dpopBound: false,
    dpopNonceRequired: false,
    method: client.authMethod === 'none' ? 'none' : client.authMethod,
    publicClient: client.authMethod === 'none',
  };
}
