import { createServer, type Server } from 'node:https';
import {
  auth,
  Client,
  IssuerMismatchError,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { createMcpDemo, type McpDemo } from '../apps/mcp-demo/src/http-server';
import { loadMcpDemoConfig } from '../apps/mcp-demo/src/config';
import { CookieBrowser, type PageResponse } from './support/cookie-browser';
import { cliCreateAdmin, freePort, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { makeTestCa } from './support/test-ca';

const CALLBACK = 'http://127.0.0.1:33418/callback';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const SCOPE = 'notes:read notes:write offline_access';

/**
 * An OAuthClientProvider for a test: keeps what the SDK stores in memory, and
 * `redirectToAuthorization` plays the person at the keyboard through the hosted pages with a
 * cookie-jar HTTP client (identify, password, consent), keeping the consent page and the
 * redirect back to the client.
 */
class HeadlessProvider implements OAuthClientProvider {
  clientMetadataUrl?: string;
  info?: StoredOAuthClientInformation;
  saved?: StoredOAuthTokens;
  verifier = '';
  discovery?: OAuthDiscoveryState;
  consentPage: PageResponse | null = null;
  callback: URL | null = null;

  constructor(
    private readonly signIn: (url: URL, provider: HeadlessProvider) => Promise<URL>,
    opts: { metadataUrl?: string; preRegistered?: { client_id: string; issuer?: string } } = {},
  ) {
    this.clientMetadataUrl = opts.metadataUrl;
    this.info = opts.preRegistered;
  }

  get redirectUrl() {
    return CALLBACK;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Headless agent',
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: StoredOAuthClientInformation) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: StoredOAuthTokens) {
    this.saved = tokens;
  }
  async redirectToAuthorization(url: URL) {
    this.callback = await this.signIn(url, this);
  }
  // SEP-2352: what discovery found is kept with the verifier, so the callback leg is bound to it.
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/**
 * The same flows as test/mcp-sdk-sign-in.e2e-spec.ts with the official
 * `@modelcontextprotocol/client` 2.x, which also checks the authorization response's `iss`
 * (RFC 9207): a mismatched one is refused with IssuerMismatchError before the code is redeemed
 * (docs/client-registration.md, docs/resources.md). Its `auth()` discovers the demo's
 * protected-resource metadata and Gatehouse, sends the person through the hosted pages, redeems
 * the code with PKCE and `resource`, and its transport calls the demo's tools with the token —
 * once with a Client ID Metadata Document served by the test on loopback, once as a
 * pre-registered public app, once through dynamic registration. Then a refresh for the resource,
 * and a refresh for a resource the grant was not made for refused with `invalid_target`; and
 * step-up: a tool needing the wider scope answers 403 `insufficient_scope`, the transport
 * authorizes again for every scope the challenge names, and the call then succeeds.
 */
describe('MCP sign-in with the official @modelcontextprotocol/client 2.x', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let demo: McpDemo;
  let resource: string;
  let docServer: Server;
  let docBase: string;
  let publicApp: { client_id: string };
  const email = 'dana@acme.test';
  const password = 'User-Strong-Pass-42';

  async function signIn(url: URL, provider: HeadlessProvider): Promise<URL> {
    const browser = new CookieBrowser(CALLBACK);
    let page = await browser.go(url.toString());
    for (let i = 0; i < 6 && !page.url.startsWith(CALLBACK); i++) {
      if (page.status !== 200) throw new Error(`page ${page.status}: ${page.body.slice(0, 600)}`);
      if (page.body.includes('action="/sign-in/identify"'))
        page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
      else if (page.body.includes('action="/sign-in/password"'))
        page = await browser.submit(gh.url, page, '/sign-in/password', { password });
      else if (page.body.includes('action="/sign-in/consent"')) {
        provider.consentPage = page;
        page = await browser.submit(gh.url, page, '/sign-in/consent', {}, 1);
      } else throw new Error(`unexpected page: ${page.body.slice(0, 600)}`);
    }
    return new URL(page.url);
  }

  /** auth() → the pages → auth() with the code → the demo's tools through the SDK transport. */
  async function signInAndCall(provider: HeadlessProvider): Promise<void> {
    expect(await auth(provider, { serverUrl: resource, scope: SCOPE })).toBe('REDIRECT');
    const back = provider.callback!;
    expect(back.origin + back.pathname).toBe(CALLBACK);
    expect(back.searchParams.get('error')).toBeNull();
    // RFC 9207: the response names the issuer the SDK discovered.
    expect(back.searchParams.get('iss')).toBe(gh.url);
    const code = back.searchParams.get('code')!;
    // RFC 9207 §2.4: an `iss` other than the issuer the client discovered is a mix-up; the
    // client refuses before redeeming the code, which then still works with the right one.
    const mixUp = await auth(provider, {
      serverUrl: resource,
      authorizationCode: code,
      iss: 'https://evil.example',
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(mixUp).toBeInstanceOf(IssuerMismatchError);
    expect(mixUp).toMatchObject({ kind: 'authorization_response', expected: gh.url });
    expect(
      await auth(provider, { serverUrl: resource, authorizationCode: code, iss: back.searchParams.get('iss')! }),
    ).toBe('AUTHORIZED');
    const tokens = provider.saved!;
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      aud: resource,
      tier: 'user',
      client_id: provider.info!.client_id,
    });
    expect(tokens.refresh_token).toBeDefined();
    const client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
    const listed = (await client.callTool({ name: 'list_notes', arguments: {} })) as { content: { text: string }[] };
    expect((JSON.parse(listed.content[0].text) as { id: string }[]).map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    await client.close();
  }

  /** A refresh for the resource through the SDK, then one for a resource the grant was not made for. */
  async function refreshThenWrongResource(provider: HeadlessProvider): Promise<void> {
    const before = provider.saved!;
    expect(await auth(provider, { serverUrl: resource })).toBe('AUTHORIZED');
    const after = provider.saved!;
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(decodeJwt(after.access_token)).toMatchObject({ aud: resource, client_id: provider.info!.client_id });
    const wrong = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: after.refresh_token!,
        client_id: provider.info!.client_id,
        resource: 'https://elsewhere.example/mcp',
      }),
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_target' });
  }

  beforeAll(async () => {
    const ca = makeTestCa();
    docServer = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
      if (req.url !== '/agent/client.json') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          client_id: `${docBase}/agent/client.json`,
          client_name: 'Notes agent (CIMD)',
          redirect_uris: [CALLBACK],
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'none',
        }),
      );
    });
    await new Promise<void>((r) => docServer.listen(0, '127.0.0.1', r));
    docBase = `https://127.0.0.1:${(docServer.address() as { port: number }).port}`;
    gh = await startGatehouse({ env: { GATEHOUSE_CIMD_ALLOW_LOOPBACK: 'true' }, outboundCa: ca.trust });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body.id;
    resource = `http://127.0.0.1:${await freePort()}/mcp`;
    expect(
      (
        await gh.api('POST', `/v1/orgs/${orgId}/resources`, {
          token: admin,
          body: {
            identifier: resource,
            name: 'Notes (MCP)',
            scopes: [
              { name: 'notes:read', description: 'Read your notes' },
              { name: 'notes:write', description: 'Delete your notes' },
            ],
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await gh.api('PUT', `/v1/orgs/${orgId}/client-registration`, {
          token: admin,
          body: { dynamic_client_registration: { enabled: true }, client_id_metadata_documents: { policy: 'any' } },
        })
      ).status,
    ).toBe(200);
    expect((await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password } })).status).toBe(
      201,
    );
    const mkApp = async (body: Record<string, unknown>) => {
      const r = await gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: admin, body });
      expect(r.status).toBe(201);
      return r.body as { client_id: string; client_secret: string };
    };
    const demoApp = await mkApp({
      name: 'mcp-demo',
      scopes: ['notes:read'],
      grant_types: ['client_credentials', EXCHANGE],
    });
    publicApp = await mkApp({
      name: 'Registered agent',
      client_type: 'public',
      scopes: ['notes:read', 'notes:write'],
      audiences: [resource],
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [CALLBACK],
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
    docServer?.closeAllConnections();
    await new Promise((r) => docServer?.close(r));
    await gh?.close();
  });

  it('through a Client ID Metadata Document: consent shows the redirect host and the loopback warning', async () => {
    const metadataUrl = `${docBase}/agent/client.json`;
    const provider = new HeadlessProvider(signIn, { metadataUrl });
    await signInAndCall(provider);
    expect(provider.info!.client_id).toBe(metadataUrl);
    const consent = provider.consentPage!.body;
    expect(consent).toContain('data-notice="redirect_host"');
    expect(consent).toMatch(/data-notice="redirect_host">[^<]*127\.0\.0\.1:33418/);
    expect(consent).toContain('data-notice="all_loopback"');
    expect(consent).toContain('Notes agent (CIMD)');
    // The org's list of self-registered clients records the consent.
    const list = await gh.api('GET', `/v1/orgs/${orgId}/client-registration/clients`, { token: admin });
    expect(list.status).toBe(200);
    const rows = list.body.items as { client_id: string; consented_at: string | null }[];
    expect(rows.find((c) => c.client_id === metadataUrl)?.consented_at).toEqual(expect.any(String));
    await refreshThenWrongResource(provider);
  });

  it('as a pre-registered public app', async () => {
    const provider = new HeadlessProvider(signIn, {
      preRegistered: { client_id: publicApp.client_id, issuer: gh.url },
    });
    await signInAndCall(provider);
    // prompt=consent (the SDK sends it with offline_access) asks even an app; no self-registered notices.
    expect(provider.consentPage).not.toBeNull();
    expect(provider.consentPage!.body).not.toContain('data-notice=');
    await refreshThenWrongResource(provider);
  });

  it('through dynamic client registration', async () => {
    const provider = new HeadlessProvider(signIn);
    await signInAndCall(provider);
    expect(provider.info!.client_id).toMatch(/^dcr_/);
    expect(provider.consentPage!.body).toContain('data-notice="all_loopback"');
    await refreshThenWrongResource(provider);
  });

  it('step-up: a notes:read token meets 403 insufficient_scope, the SDK signs in again and ends with both scopes', async () => {
    const provider = new HeadlessProvider(signIn);
    expect(await auth(provider, { serverUrl: resource, scope: 'notes:read' })).toBe('REDIRECT');
    const first = provider.callback!;
    expect(
      await auth(provider, {
        serverUrl: resource,
        authorizationCode: first.searchParams.get('code')!,
        iss: first.searchParams.get('iss')!,
      }),
    ).toBe('AUTHORIZED');
    const scopesOf = () => String(decodeJwt(provider.saved!.access_token).scope).split(' ');
    expect(scopesOf()).toContain('notes:read');
    expect(scopesOf()).not.toContain('notes:write');
    const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider });
    const client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
    await client.connect(transport);
    // The 403 names every scope delete_note needs; the transport authorizes again for them,
    // which sends the person through the pages (consent for the wider scope) once more.
    const refused = await client.callTool({ name: 'delete_note', arguments: { id: 'n2' } }).then(
      () => null,
      (e: unknown) => e,
    );
    const second = provider.callback!;
    expect(second).not.toBe(first);
    // After the redirect the transport hands the callback back to the application.
    expect(refused).toBeInstanceOf(UnauthorizedError);
    await transport.finishAuth(second.searchParams);
    expect(scopesOf()).toEqual(expect.arrayContaining(['notes:read', 'notes:write']));
    const done = (await client.callTool({ name: 'delete_note', arguments: { id: 'n2' } })) as {
      content: { text: string }[];
    };
    expect(done.content[0].text).toBe('Deleted note n2.');
    await client.close();
  });
});
