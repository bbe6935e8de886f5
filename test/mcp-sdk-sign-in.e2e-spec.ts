import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
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
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  consentPage: PageResponse | null = null;
  callback: URL | null = null;

  constructor(
    private readonly signIn: (url: URL, provider: HeadlessProvider) => Promise<URL>,
    opts: { metadataUrl?: string; preRegistered?: { client_id: string } } = {},
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
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  async redirectToAuthorization(url: URL) {
    this.callback = await this.signIn(url, this);
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/**
 * The MCP authorization flow end to end with the official `@modelcontextprotocol/sdk` 1.x
 * client (docs/client-registration.md, docs/resources.md): its `auth()` discovers the demo's
 * protected-resource metadata and Gatehouse, sends the person through the hosted pages, redeems
 * the code with PKCE and `resource`, and its transport calls the demo's tools with the token —
 * once with a Client ID Metadata Document served by the test on loopback, once as a
 * pre-registered public app, once through dynamic registration. Then a refresh for the resource,
 * and a refresh for a resource the grant was not made for refused with `invalid_target`.
 */
describe('MCP sign-in with the official SDK 1.x client', () => {
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
    expect(await auth(provider, { serverUrl: resource, authorizationCode: code })).toBe('AUTHORIZED');
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
    const provider = new HeadlessProvider(signIn, { preRegistered: { client_id: publicApp.client_id } });
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

  /** The authorization request by hand (what the SDK builds), for the refusals. */
  const authorizeUrl = (clientId: string, extra: Record<string, string> = {}) => {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${gh.url}/oauth/authorize`);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CALLBACK,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'st',
      scope: 'notes:read',
      resource,
      ...extra,
    };
    for (const [k, v] of Object.entries(params)) if (v !== '') url.searchParams.set(k, v);
    return { url, verifier };
  };
  const register = (body: Record<string, unknown>) =>
    gh.api('POST', '/oauth/register', {
      body: {
        client_name: 'Agent',
        redirect_uris: [CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        ...body,
      },
    });
  const token = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params),
    });

  it('a self-registered client without a resource, or with an unknown one, gets the error page with the reason', async () => {
    const clientId = `${docBase}/agent/client.json`;
    const none = await new CookieBrowser(CALLBACK).go(authorizeUrl(clientId, { resource: '' }).url.toString());
    expect(none.status).toBe(400);
    expect(none.body).toContain('send the resource parameter');
    const unknown = await new CookieBrowser(CALLBACK).go(
      authorizeUrl(clientId, { resource: 'https://unknown.example/mcp' }).url.toString(),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('names no registered resource');
    const twice = authorizeUrl(clientId).url;
    twice.searchParams.append('resource', resource);
    const two = await new CookieBrowser(CALLBACK).go(twice.toString());
    expect(two.status).toBe(400);
    expect(two.body).toContain('Send one resource parameter.');
    // The organization parameter names the org instead of a resource (the default audience then).
    const byOrg = await new CookieBrowser(CALLBACK).go(
      authorizeUrl(clientId, { resource: '', organization: 'acme' }).url.toString(),
    );
    expect(byOrg.status).toBe(200);
    expect(byOrg.body).toContain('action="/sign-in/identify"');
  });

  it('a blocked client is refused at the authorization endpoint (error page) and at refresh (invalid_client)', async () => {
    const provider = new HeadlessProvider(signIn);
    await signInAndCall(provider);
    const clientId = provider.info!.client_id;
    const block = await gh.api('POST', `/v1/orgs/${orgId}/client-registration/clients/block`, {
      token: admin,
      body: { client_id: clientId },
    });
    expect(block.status).toBe(200);
    const page = await new CookieBrowser(CALLBACK).go(authorizeUrl(clientId).url.toString());
    expect(page.status).toBe(400);
    expect(page.body).toContain('blocked by the organization');
    const refresh = await token({
      grant_type: 'refresh_token',
      refresh_token: provider.saved!.refresh_token!,
      client_id: clientId,
    });
    expect(refresh.status).toBe(401);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('a confidential dynamic client redeems its code only with its secret', async () => {
    await gh.api('PUT', `/v1/orgs/${orgId}/client-registration`, {
      token: admin,
      body: {
        dynamic_client_registration: { enabled: true, confidential_clients: true },
        client_id_metadata_documents: { policy: 'any' },
      },
    });
    const reg = await register({ token_endpoint_auth_method: 'client_secret_basic' });
    expect(reg.status).toBe(201);
    const { client_id: clientId, client_secret: secret } = reg.body as { client_id: string; client_secret: string };
    const { url, verifier } = authorizeUrl(clientId);
    const back = await signIn(url, new HeadlessProvider(signIn));
    const code = back.searchParams.get('code')!;
    expect(code).toMatch(/^ghac_/);
    const basic = (s: string) => ({ authorization: `Basic ${Buffer.from(`${clientId}:${s}`).toString('base64')}` });
    const redeem = { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier };
    const wrong = await token(redeem, basic(`${secret}x`));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const unauthenticated = await token({ ...redeem, client_id: clientId });
    expect(unauthenticated.status).toBe(401);
    const good = await token(redeem, basic(secret));
    expect(good.status).toBe(200);
    const body = (await good.json()) as { access_token: string };
    expect(decodeJwt(body.access_token)).toMatchObject({ aud: resource, client_id: clientId, scope: 'notes:read' });
  });
});
