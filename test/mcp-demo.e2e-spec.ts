import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { discoverOAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { createMcpDemo, type McpDemo } from '../apps/mcp-demo/src/http-server';
import { loadMcpDemoConfig, McpDemoConfigError } from '../apps/mcp-demo/src/config';
import {
  clientPost,
  cliCreateAdmin,
  freePort,
  loginAdmin,
  startGatehouse,
  type TestGatehouse,
} from './support/gatehouse';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
type App = { client_id: string; client_secret: string };

/**
 * apps/mcp-demo (README "Protect an MCP server with Gatehouse"): the official MCP SDK's client
 * lists and calls the demo's tools with Gatehouse tokens for its resource — an app's (client
 * credentials) and a user's (sign-in, then a refresh for the resource). A tool needing the
 * wider scope is refused with 403 `insufficient_scope` naming both scopes until the token has
 * them; the summary tool hands its step to a specialist with a step token from token exchange.
 * The browser sign-in through the SDKs' OAuthClientProvider (CIMD, a pre-registered app, DCR)
 * is test/mcp-sdk-sign-in.e2e-spec.ts (1.x) and test/mcp-client-v2-sign-in.e2e-spec.ts (2.x).
 */
describe('the MCP demo server with the official SDK client', () => {
  let gh: TestGatehouse;
  let admin: string;
  let demo: McpDemo;
  let resource: string;
  let agent: App;
  let demoApp: App;
  let orgId: string;

  const appToken = async (client: App, params: Record<string, string>) => {
    const r = await clientPost(gh.url, client, '/oauth/token', { grant_type: 'client_credentials', ...params });
    expect(r.status).toBe(200);
    return ((await r.json()) as { access_token: string }).access_token;
  };
  const connect = async (token?: string) => {
    const client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(resource), {
      requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    });
    await client.connect(transport);
    return client;
  };
  const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    orgId = org.id;
    const port = await freePort();
    resource = `http://127.0.0.1:${port}/mcp`;
    // gatehouse resources create, through the API here (the CLI is the same service).
    const r = await gh.api('POST', `/v1/orgs/${org.id}/resources`, {
      token: admin,
      body: {
        identifier: resource,
        name: 'Notes (MCP)',
        scopes: [
          { name: 'notes:read', description: 'Read your notes' },
          { name: 'notes:write', description: 'Delete your notes' },
        ],
      },
    });
    expect(r.status).toBe(201);
    const mkApp = async (body: Record<string, unknown>) =>
      (await gh.api('POST', `/v1/orgs/${org.id}/apps`, { token: admin, body: { password_login: true, ...body } }))
        .body as App;
    demoApp = await mkApp({ name: 'mcp-demo', scopes: ['notes:read'], grant_types: ['client_credentials', EXCHANGE] });
    agent = await mkApp({
      name: 'agent',
      scopes: ['notes:read', 'notes:write'],
      audiences: [resource],
      delegates: [demoApp.client_id],
    });
    await gh.api('POST', `/v1/orgs/${org.id}/users`, {
      token: admin,
      body: { email: 'dana@acme.test', password: 'User-Strong-Pass-42' },
    });
    demo = createMcpDemo(
      loadMcpDemoConfig({
        GATEHOUSE_ISSUER: gh.url,
        MCP_RESOURCE: resource,
        MCP_DEMO_CLIENT_ID: demoApp.client_id,
        MCP_DEMO_CLIENT_SECRET: demoApp.client_secret,
      }),
    );
    await demo.listen();
  });
  afterAll(async () => {
    await demo?.close();
    await gh?.close();
  });

  it('publishes RFC 9728 metadata the SDK discovers from the server URL alone', async () => {
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(resource));
    expect(metadata).toMatchObject({
      resource,
      authorization_servers: [gh.url],
      scopes_supported: ['notes:read', 'notes:write'],
      bearer_methods_supported: ['header'],
    });
  });

  it('refuses a client without a token, or with one for another audience, with the challenge', async () => {
    const none = await fetch(resource, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe(
      `Bearer scope="notes:read", resource_metadata="${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    await expect(connect()).rejects.toThrow(StreamableHTTPError);
    const defaultAudience = await appToken(agent, {});
    await expect(connect(defaultAudience)).rejects.toThrow(/401|invalid_token/);
  });

  it('an agent with client credentials for the resource lists and calls the tools', async () => {
    const token = await appToken(agent, { resource });
    const client = await connect(token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['delete_note', 'list_notes', 'summarise_notes']);
    const notes = JSON.parse(textOf(await client.callTool({ name: 'list_notes', arguments: {} }))) as { id: string }[];
    expect(notes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    await client.close();
  });

  it('step-up: delete_note with a notes:read token is 403 naming both scopes; with both it works', async () => {
    const readOnly = await appToken(agent, { resource, scope: 'notes:read' });
    const client = await connect(readOnly);
    const refused = await client.callTool({ name: 'delete_note', arguments: { id: 'n1' } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(StreamableHTTPError);
    expect((refused as StreamableHTTPError).code).toBe(403);
    await client.close();
    // What the SDK's auth provider reads to step up: the error and every scope the tool needs.
    const raw = await fetch(resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${readOnly}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'delete_note', arguments: { id: 'n1' } },
      }),
    });
    expect(raw.status).toBe(403);
    expect(raw.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_scope", .*scope="notes:read notes:write", resource_metadata="/,
    );
    const wider = await connect(await appToken(agent, { resource }));
    expect(textOf(await wider.callTool({ name: 'delete_note', arguments: { id: 'n1' } }))).toBe('Deleted note n1.');
    await wider.close();
  });

  it('a signed-in user (sign-in, then a refresh for the resource) calls the tools as itself', async () => {
    const login = await gh.api('POST', `/v1/orgs/${orgId}/users/login`, {
      body: { client_id: agent.client_id, email: 'dana@acme.test', password: 'User-Strong-Pass-42' },
    });
    expect(login.status).toBe(200);
    const refreshed = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: login.body.refresh_token,
        client_id: agent.client_id,
        resource,
        scope: 'notes:read',
      }),
    });
    const userToken = ((await refreshed.json()) as { access_token: string }).access_token;
    expect(decodeJwt(userToken)).toMatchObject({ aud: resource, tier: 'user', scope: 'notes:read' });
    const client = await connect(userToken);
    const notes = JSON.parse(textOf(await client.callTool({ name: 'list_notes', arguments: {} }))) as { id: string }[];
    // The user's own notes: the app deleted n1 from its own list, not from this user's.
    expect(notes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    await client.close();
  });

  it('per-step isolation: the summary is made by a specialist holding a step token from token exchange', async () => {
    const token = await appToken(agent, { resource });
    const client = await connect(token);
    const result = JSON.parse(textOf(await client.callTool({ name: 'summarise_notes', arguments: {} }))) as {
      summary: string;
      specialist_token: { jti: string; step: string; scope: string; actors: string[]; expires_in: number };
    };
    await client.close();
    expect(result.summary).toMatch(/^2 note\(s\):/);
    expect(result.specialist_token).toMatchObject({
      step: 'summarise',
      scope: 'notes:read',
      actors: [demoApp.client_id],
    });
    expect(result.specialist_token.expires_in).toBeLessThanOrEqual(120);
    const [row] = await gh.sql<{ actor_id: string; details: Record<string, unknown> }>(
      `SELECT actor_id, details FROM audit_events WHERE action = 'token.exchanged' AND jti = $1`,
      [result.specialist_token.jti],
    );
    expect(row).toMatchObject({
      actor_id: demoApp.client_id,
      details: { outcome: 'issued', step: 'summarise', aud: resource, subject_jti: decodeJwt(token).jti },
    });
  });

  it('the demo’s configuration names what is missing', () => {
    expect(() => loadMcpDemoConfig({ GATEHOUSE_ISSUER: gh.url, MCP_RESOURCE: resource })).toThrow(McpDemoConfigError);
    expect(() => loadMcpDemoConfig({ MCP_RESOURCE: resource })).toThrow(/GATEHOUSE_ISSUER/);
    expect(() =>
      loadMcpDemoConfig({
        GATEHOUSE_ISSUER: gh.url,
        MCP_RESOURCE: 'nope',
        MCP_DEMO_CLIENT_ID: 'a',
        MCP_DEMO_CLIENT_SECRET: 'b',
      }),
    ).toThrow(/MCP_RESOURCE/);
  });
});
