import {
  Client,
  CrossAppAccessProvider,
  StreamableHTTPClientTransport,
  requestJwtAuthorizationGrant,
} from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { createMcpDemo, type McpDemo } from '../apps/mcp-demo/src/http-server';
import { loadMcpDemoConfig } from '../apps/mcp-demo/src/config';
import { cliCreateAdmin, freePort, loginAdmin, type TestGatehouse } from './support/gatehouse';
import { signInThroughPages, startIdJagPair } from './support/id-jag-pair';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const PASSWORD = 'Correct-Horse-Battery-Staple-9';
const CALLBACK = 'http://127.0.0.1:9/cb';
type App = { client_id: string; client_secret: string };

/**
 * Enterprise-managed authorization as an MCP client does it (docs/id-jag.md#with-the-mcp-sdk):
 * `@modelcontextprotocol/client`'s CrossAppAccessProvider connects to apps/mcp-demo, whose
 * authorization server is a Gatehouse that trusts org Acme's Gatehouse. The provider discovers
 * the demo's authorization server from its RFC 9728 metadata, calls back for an ID-JAG (which
 * the callback gets from the IdP Gatehouse with the SDK's requestJwtAuthorizationGrant and
 * Alice's ID token from the browser sign-in), presents it with the
 * jwt-bearer grant (client_secret_basic, with the resource), and calls the tools as Alice.
 */
describe('ID-JAG with the MCP SDK cross-app-access provider against the MCP demo', () => {
  let idp: TestGatehouse;
  let rs: TestGatehouse;
  let demo: McpDemo;
  let resource: string;
  let agentAtIdp: App;
  let agentAtRs: App;
  let aliceAtRs: { id: string };
  let aliceIdToken: string;

  beforeAll(async () => {
    const pair = await startIdJagPair();
    ({ idp, rs } = pair);
    const { asIdp, asRs } = pair;
    resource = `http://127.0.0.1:${await freePort()}/mcp`;

    let demoApp: App;
    await asRs(async () => {
      const admin = (await loginAdmin(rs, await cliCreateAdmin(rs, { platform: true }))).access_token;
      const api = (m: string, p: string, body?: unknown) => rs.api(m, p, { token: admin, body });
      const org = (await api('POST', '/v1/orgs', { name: 'notes', display_name: 'Notes' })).body;
      const scopes = [
        { name: 'notes:read', description: 'Read your notes' },
        { name: 'notes:write', description: 'Delete your notes' },
      ];
      expect(
        (await api('POST', `/v1/orgs/${org.id}/resources`, { identifier: resource, name: 'Notes', scopes })).status,
      ).toBe(201);
      demoApp = (
        await api('POST', `/v1/orgs/${org.id}/apps`, {
          name: 'mcp-demo',
          scopes: ['notes:read'],
          grant_types: ['client_credentials', EXCHANGE],
        })
      ).body;
      agentAtRs = (
        await api('POST', `/v1/orgs/${org.id}/apps`, {
          name: 'agent',
          scopes: ['notes:read', 'notes:write'],
          audiences: [resource],
          grant_types: [JWT_BEARER],
          delegates: [demoApp.client_id],
        })
      ).body;
      aliceAtRs = (await api('POST', `/v1/orgs/${org.id}/users`, { email: 'alice@acme.test', password: PASSWORD }))
        .body;
      await api('PATCH', `/v1/orgs/${org.id}/users/${aliceAtRs.id}`, { email_verified: true });
      const trusted = await api('POST', `/v1/orgs/${org.id}/trusted-issuers`, {
        issuer: idp.url,
        jwks_uri: `${idp.url}/.well-known/jwks.json`,
        allowed_clients: [agentAtRs.client_id],
      });
      expect(trusted.status).toBe(201);
    });
    await asIdp(async () => {
      const admin = (await loginAdmin(idp, await cliCreateAdmin(idp, { platform: true }))).access_token;
      const api = (m: string, p: string, body?: unknown) => idp.api(m, p, { token: admin, body });
      const org = (await api('POST', '/v1/orgs', { name: 'acme', display_name: 'Acme' })).body;
      agentAtIdp = (
        await api('POST', `/v1/orgs/${org.id}/apps`, {
          name: 'agent',
          scopes: ['profile'],
          grant_types: ['authorization_code', EXCHANGE],
          redirect_uris: [CALLBACK],
        })
      ).body;
      const alice = (await api('POST', `/v1/orgs/${org.id}/users`, { email: 'alice@acme.test', password: PASSWORD }))
        .body;
      await api('PATCH', `/v1/orgs/${org.id}/users/${alice.id}`, { email_verified: true });
      const allowed = await api('POST', `/v1/orgs/${org.id}/id-jag-audiences`, {
        issuer: rs.url,
        clients: [{ app_id: agentAtIdp.client_id, client_id: agentAtRs.client_id }],
        scopes: ['notes:read', 'notes:write'],
      });
      expect(allowed.status).toBe(201);
      const login = { email: 'alice@acme.test', password: PASSWORD };
      aliceIdToken = (await signInThroughPages(idp, agentAtIdp, login, CALLBACK)).id_token!;
    });
    demo = createMcpDemo(
      loadMcpDemoConfig({
        GATEHOUSE_ISSUER: rs.url,
        MCP_RESOURCE: resource,
        MCP_DEMO_CLIENT_ID: demoApp!.client_id,
        MCP_DEMO_CLIENT_SECRET: demoApp!.client_secret,
      }),
    );
    await demo.listen();
  });
  afterAll(async () => {
    await demo?.close();
    await rs?.close();
    await idp?.close();
  });

  it('the provider gets an ID-JAG from the IdP, a token from the resource AS, and calls the tools as Alice', async () => {
    const asked: { authorizationServerUrl: string; resourceUrl: string; scope?: string }[] = [];
    const issued: string[] = [];
    const provider = new CrossAppAccessProvider({
      clientId: agentAtRs.client_id,
      clientSecret: agentAtRs.client_secret,
      expectedIssuer: rs.url,
      assertion: async (ctx) => {
        asked.push({
          authorizationServerUrl: ctx.authorizationServerUrl,
          resourceUrl: ctx.resourceUrl,
          scope: ctx.scope,
        });
        // The SDK's own IdP helper: token exchange with the ID token, client_secret_post.
        const { jwtAuthGrant: jag } = await requestJwtAuthorizationGrant({
          tokenEndpoint: `${idp.url}/oauth/token`,
          audience: ctx.authorizationServerUrl,
          resource: ctx.resourceUrl,
          idToken: aliceIdToken,
          clientId: agentAtIdp.client_id,
          clientSecret: agentAtIdp.client_secret,
          ...(ctx.scope ? { scope: ctx.scope } : {}),
        });
        issued.push(jag);
        return jag;
      },
    });
    const client = new Client({ name: 'gatehouse-id-jag-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('list_notes');
    const result = (await client.callTool({ name: 'list_notes', arguments: {} })) as { content: { text: string }[] };
    expect((JSON.parse(result.content[0]!.text) as { id: string }[]).length).toBeGreaterThan(0);
    await client.close();

    // The provider asked once, for the demo's authorization server and resource, with the
    // scope of the demo's challenge; Gatehouse's token names Alice there, for the resource.
    expect(asked).toEqual([{ authorizationServerUrl: rs.url, resourceUrl: resource, scope: 'notes:read' }]);
    expect(decodeJwt(issued[0]!)).toMatchObject({ iss: idp.url, aud: rs.url, client_id: agentAtRs.client_id });
    const [jagRow] = await idp.sql<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE action = 'id_jag.issued' AND jti = $1`,
      [decodeJwt(issued[0]!).jti],
    );
    expect(jagRow!.details).toMatchObject({ outcome: 'issued', subject_type: 'id_token' });
    const token = provider.tokens()!;
    expect(decodeJwt(token.access_token)).toMatchObject({
      iss: rs.url,
      sub: aliceAtRs.id,
      aud: resource,
      tier: 'user',
      scope: 'notes:read',
    });
    expect(token.refresh_token).toBeUndefined();
    const [row] = await rs.sql<{ details: { grant_type: string; auth_method: string } }>(
      `SELECT details FROM audit_events WHERE action = 'token.issued' AND details->>'grant_type' = $1`,
      [JWT_BEARER],
    );
    expect(row!.details).toMatchObject({ grant_type: JWT_BEARER, auth_method: 'client_secret_basic' });
  });
});
