import { createServer, type Server } from 'node:https';
import { decodeJwt } from 'jose';
import { createMcpDemo, type McpDemo } from '../../apps/mcp-demo/src/http-server';
import { loadMcpDemoConfig } from '../../apps/mcp-demo/src/config';
import { CookieBrowser, type PageResponse } from './cookie-browser';
import { cliCreateAdmin, freePort, loginAdmin, startGatehouse, type TestGatehouse } from './gatehouse';
import { makeTestCa } from './test-ca';

/**
 * What the MCP SDK sign-in suites share (docs/client-registration.md#proven-with-the-mcp-sdks):
 * a Gatehouse with the demo's resource, a user, a pre-registered public app and a loopback
 * Client ID Metadata Document; apps/mcp-demo in front of it; an OAuthClientProvider that keeps
 * what the SDK stores in memory; and the person at the keyboard played through the hosted
 * pages by a cookie-jar HTTP client.
 */
export const MCP_CALLBACK = 'http://127.0.0.1:33418/callback';
export const MCP_SCOPE = 'notes:read notes:write offline_access';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Sends the person through the authorization URL and answers where they came back to. */
export type SignInDriver = (url: URL, provider: HeadlessProvider<object, object>) => Promise<URL>;

/**
 * The SDKs' `OAuthClientProvider` (the 1.x and 2.x shapes differ only in the stored types):
 * `redirectToAuthorization` hands the URL to a driver (HTTP or Chromium) and keeps the
 * callback; the consent page the driver saw is kept for the assertions.
 */
export class HeadlessProvider<Info extends object, Tokens extends object> {
  clientMetadataUrl?: string;
  info?: Info;
  saved?: Tokens;
  verifier = '';
  discovery?: unknown;
  private readonly redirect: string;
  consentPage: PageResponse | null = null;
  callback: URL | null = null;

  constructor(
    private readonly signIn: SignInDriver,
    opts: {
      metadataUrl?: string;
      preRegistered?: Info;
      redirectUrl?: string;
    } = {},
  ) {
    this.clientMetadataUrl = opts.metadataUrl;
    this.info = opts.preRegistered;
    this.redirect = opts.redirectUrl ?? MCP_CALLBACK;
  }

  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata() {
    return {
      client_name: 'Headless agent',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: Info) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: Tokens) {
    this.saved = tokens;
  }
  async redirectToAuthorization(url: URL) {
    this.callback = await this.signIn(url, this as HeadlessProvider<object, object>);
  }
  // SEP-2352 (2.x): what discovery found is kept with the verifier, so the callback leg is bound to it.
  saveDiscoveryState(state: unknown) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery as never;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  /** The client id the SDK ended up with (metadata URL, app id or `dcr_…`). */
  get clientId(): string {
    return (this.info as { client_id: string }).client_id;
  }
  get accessToken(): string {
    return (this.saved as { access_token: string }).access_token;
  }
  get refreshToken(): string | undefined {
    return (this.saved as { refresh_token?: string }).refresh_token;
  }
}

export interface McpWorld {
  gh: TestGatehouse;
  admin: string;
  orgId: string;
  demo: McpDemo;
  /** The demo's MCP endpoint, registered as a resource with notes:read and notes:write. */
  resource: string;
  /** The https origin serving the Client ID Metadata Document at `/agent/client.json`. */
  docBase: string;
  publicApp: { client_id: string };
  email: string;
  password: string;
  /** The hosted pages through a cookie-jar HTTP client: identify, password, consent. */
  signIn: SignInDriver;
  close(): Promise<void>;
}

/**
 * Gatehouse (loopback CIMD allowed, trusting the test CA), an org with the demo's resource, DCR
 * and CIMD on, a user, a pre-registered public app, apps/mcp-demo, and a document server.
 * `documents` adds documents served next to `/agent/client.json` (path → body).
 */
export async function startMcpWorld(
  opts: { documents?: (docBase: string) => Record<string, unknown> } = {},
): Promise<McpWorld> {
  const email = 'dana@acme.test';
  const password = 'User-Strong-Pass-42';
  const ca = makeTestCa();
  let docBase = '';
  const docServer: Server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
    const docs: Record<string, unknown> = {
      '/agent/client.json': {
        client_id: `${docBase}/agent/client.json`,
        client_name: 'Notes agent (CIMD)',
        redirect_uris: [MCP_CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
      },
      ...opts.documents?.(docBase),
    };
    const doc = docs[req.url ?? ''];
    if (doc === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => docServer.listen(0, '127.0.0.1', r));
  docBase = `https://127.0.0.1:${(docServer.address() as { port: number }).port}`;
  const gh = await startGatehouse({ env: { GATEHOUSE_CIMD_ALLOW_LOOPBACK: 'true' }, outboundCa: ca.trust });
  const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
  const orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body
    .id as string;
  const resource = `http://127.0.0.1:${await freePort()}/mcp`;
  const created = await gh.api('POST', `/v1/orgs/${orgId}/resources`, {
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
  expect(created.status).toBe(201);
  const policy = await gh.api('PUT', `/v1/orgs/${orgId}/client-registration`, {
    token: admin,
    body: { dynamic_client_registration: { enabled: true }, client_id_metadata_documents: { policy: 'any' } },
  });
  expect(policy.status).toBe(200);
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
  const publicApp = await mkApp({
    name: 'Registered agent',
    client_type: 'public',
    scopes: ['notes:read', 'notes:write'],
    audiences: [resource],
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [MCP_CALLBACK],
  });
  const demo = createMcpDemo(
    loadMcpDemoConfig({
      GATEHOUSE_ISSUER: gh.url,
      MCP_RESOURCE: resource,
      MCP_DEMO_CLIENT_ID: demoApp.client_id,
      MCP_DEMO_CLIENT_SECRET: demoApp.client_secret,
    }),
  );
  await demo.listen();

  const signIn: SignInDriver = async (url, provider) => {
    const browser = new CookieBrowser(provider.redirectUrl);
    let page = await browser.go(url.toString());
    for (let i = 0; i < 6 && !page.url.startsWith(provider.redirectUrl); i++) {
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
  };

  return {
    gh,
    admin,
    orgId,
    demo,
    resource,
    docBase,
    publicApp,
    email,
    password,
    signIn,
    async close() {
      await demo.close();
      docServer.closeAllConnections();
      await new Promise((r) => docServer.close(r));
      await gh.close();
    },
  };
}

/** A refresh_token request by hand, for what the SDKs do not send (another resource). */
export function tokenRequest(gh: TestGatehouse, params: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${gh.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
}

/**
 * A refresh for the resource through the SDK's `auth()` — which must send `resource` (RFC 8707
 * §2.2), seen through the `fetchFn` it is given — then one for a resource the grant was not
 * made for, refused `invalid_target` (RFC 8707 §2).
 */
export async function refreshThenWrongResource(
  world: McpWorld,
  provider: HeadlessProvider<object, object>,
  refresh: (fetchFn: typeof fetch) => Promise<string>,
): Promise<void> {
  const before = provider.refreshToken;
  const sent: URLSearchParams[] = [];
  const recording: typeof fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).endsWith('/oauth/token'))
      sent.push(new URLSearchParams(String(init?.body)));
    return fetch(input, init);
  };
  expect(await refresh(recording)).toBe('AUTHORIZED');
  expect(sent.map((p) => [p.get('grant_type'), p.get('resource')])).toEqual([['refresh_token', world.resource]]);
  expect(provider.refreshToken).not.toBe(before);
  expect(decodeJwt(provider.accessToken)).toMatchObject({ aud: world.resource, client_id: provider.clientId });
  const wrong = await tokenRequest(world.gh, {
    grant_type: 'refresh_token',
    refresh_token: provider.refreshToken!,
    client_id: provider.clientId,
    resource: 'https://elsewhere.example/mcp',
  });
  expect(wrong.status).toBe(400);
  expect(await wrong.json()).toMatchObject({ error: 'invalid_target' });
}

/** The assertions on a callback: back at the redirect URI, no error, RFC 9207 `iss` is Gatehouse. */
export function expectCallback(world: McpWorld, back: URL, redirectUrl = MCP_CALLBACK): string {
  expect(back.origin + back.pathname).toBe(redirectUrl);
  expect(back.searchParams.get('error')).toBeNull();
  expect(back.searchParams.get('iss')).toBe(world.gh.url);
  return back.searchParams.get('code')!;
}

/** The consent page of a metadata-document client: its redirect host and the loopback warning. */
export async function expectCimdConsent(world: McpWorld, provider: HeadlessProvider<object, object>): Promise<void> {
  const metadataUrl = `${world.docBase}/agent/client.json`;
  expect(provider.clientId).toBe(metadataUrl);
  const consent = provider.consentPage!.body;
  expect(consent).toContain('data-notice="redirect_host"');
  expect(consent).toMatch(/data-notice="redirect_host">[^<]*127\.0\.0\.1:33418/);
  expect(consent).toContain('data-notice="all_loopback"');
  expect(consent).toContain('Notes agent (CIMD)');
  // The org's list of self-registered clients records the consent.
  const list = await world.gh.api('GET', `/v1/orgs/${world.orgId}/client-registration/clients`, {
    token: world.admin,
  });
  expect(list.status).toBe(200);
  const rows = list.body.items as { client_id: string; consented_at: string | null }[];
  expect(rows.find((c) => c.client_id === metadataUrl)?.consented_at).toEqual(expect.any(String));
}

/** The scopes of the provider's current access token. */
export function scopesOf(provider: HeadlessProvider<object, object>): string[] {
  return String(decodeJwt(provider.accessToken).scope).split(' ');
}
