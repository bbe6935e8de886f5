import type { ResolvedClient } from './client-resolver';
import { selfRegisteredTokenClient } from './self-registered-token-client';

const client: ResolvedClient = {
  clientId: 'https://agent.example.com/client.json',
  source: 'metadata_document',
  orgId: 'org_01J00000000000000000000000',
  displayName: 'Agent',
  redirectUris: ['http://127.0.0.1:1/cb'],
  applicationType: 'native',
  authMethod: 'none',
  grantTypes: ['authorization_code', 'refresh_token'],
  selfRegistered: true,
  secretHash: null,
  jwksUri: null,
  keys: null,
  documentHash: 'ab',
  consent: { redirectHosts: ['127.0.0.1:1'], allRedirectsLoopback: true },
  pages: {},
};

describe('selfRegisteredTokenClient (docs/client-registration.md#at-the-token-endpoint)', () => {
  it('may ask for every resource of its organization and the scopes they declare, plus offline_access', () => {
    const view = selfRegisteredTokenClient(
      client,
      {
        orgName: 'notes',
        resources: [
          { identifier: 'https://mcp.example.com/mcp', scopes: ['notes:write', 'notes:read'], tokenTtlS: 300 },
          { identifier: 'https://api.example.com/', scopes: ['notes:read', 'files:read'], tokenTtlS: null },
        ],
      },
      { accessTokenTtlS: 600 },
    );
    expect(view).toMatchObject({
      id: client.clientId,
      orgId: client.orgId,
      orgName: 'notes',
      scopes: ['files:read', 'notes:read', 'notes:write', 'offline_access'],
      audiences: ['https://mcp.example.com/mcp', 'https://api.example.com/'],
      tokenTtlS: 600,
      grantTypes: ['authorization_code', 'refresh_token'],
      delegates: [],
      method: 'none',
    });
  });

  it('never gets client credentials or token exchange, whatever it declared', () => {
    const view = selfRegisteredTokenClient(
      {
        ...client,
        grantTypes: ['authorization_code', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      },
      { orgName: 'n', resources: [] },
      { accessTokenTtlS: 600 },
    );
    expect(view.grantTypes).toEqual(['authorization_code']);
    expect(view.scopes).toEqual(['offline_access']);
  });
});
