import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt } from 'jose';
import { CookieBrowser } from './support/cookie-browser';
import {
  expectCallback,
  expectCimdConsent,
  HeadlessProvider,
  MCP_CALLBACK as CALLBACK,
  MCP_SCOPE as SCOPE,
  refreshThenWrongResource,
  scopesOf,
  startMcpWorld,
  tokenRequest,
  type McpWorld,
} from './support/mcp-sign-in';

type Provider = HeadlessProvider<OAuthClientInformationMixed, OAuthTokens>;

/**
 * The MCP authorization flow end to end with the official `@modelcontextprotocol/sdk` 1.x
 * client (docs/client-registration.md#proven-with-the-mcp-sdks, docs/resources.md): its
 * `auth()` discovers the demo's protected-resource metadata and Gatehouse, sends the person
 * through the hosted pages, redeems the code with PKCE and `resource`, and its transport calls
 * the demo's tools with the token — once with a Client ID Metadata Document served by the test
 * on loopback, once as a pre-registered public app, once through dynamic registration. Then a
 * refresh for the resource, a refresh for a resource the grant was not made for refused with
 * `invalid_target`, and step-up: a 403 `insufficient_scope` sends the person through the pages
 * again and the call succeeds with the wider scope.
 */
describe('MCP sign-in with the official SDK 1.x client', () => {
  let world: McpWorld;
  const provider = (
    opts: ConstructorParameters<typeof HeadlessProvider<OAuthClientInformationMixed, OAuthTokens>>[1] = {},
  ) => new HeadlessProvider<OAuthClientInformationMixed, OAuthTokens>(world.signIn, opts);

  /** auth() → the pages → auth() with the code → the demo's tools through the SDK transport. */
  async function signInAndCall(p: Provider): Promise<void> {
    expect(await auth(p, { serverUrl: world.resource, scope: SCOPE })).toBe('REDIRECT');
    const code = expectCallback(world, p.callback!);
    expect(await auth(p, { serverUrl: world.resource, authorizationCode: code })).toBe('AUTHORIZED');
    expect(decodeJwt(p.accessToken)).toMatchObject({ aud: world.resource, tier: 'user', client_id: p.clientId });
    expect(p.refreshToken).toBeDefined();
    const client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(world.resource), { authProvider: p }));
    const listed = (await client.callTool({ name: 'list_notes', arguments: {} })) as { content: { text: string }[] };
    expect((JSON.parse(listed.content[0].text) as { id: string }[]).map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    await client.close();
  }
  const refresh = (p: Provider) =>
    refreshThenWrongResource(world, p, (fetchFn) => auth(p, { serverUrl: world.resource, fetchFn }));

  beforeAll(async () => {
    world = await startMcpWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('through a Client ID Metadata Document: consent shows the redirect host and the loopback warning', async () => {
    const p = provider({ metadataUrl: `${world.docBase}/agent/client.json` });
    await signInAndCall(p);
    await expectCimdConsent(world, p);
    await refresh(p);
  });

  it('as a pre-registered public app', async () => {
    const p = provider({ preRegistered: { client_id: world.publicApp.client_id } });
    await signInAndCall(p);
    // prompt=consent (the SDK sends it with offline_access) asks even an app; no self-registered notices.
    expect(p.consentPage).not.toBeNull();
    expect(p.consentPage!.body).not.toContain('data-notice=');
    await refresh(p);
  });

  it('through dynamic client registration', async () => {
    const p = provider();
    await signInAndCall(p);
    expect(p.clientId).toMatch(/^dcr_/);
    expect(p.consentPage!.body).toContain('data-notice="all_loopback"');
    await refresh(p);
  });

  /** The authorization request by hand (what the SDK builds), for the refusals. */
  const authorizeUrl = (clientId: string, extra: Record<string, string> = {}) => {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${world.gh.url}/oauth/authorize`);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CALLBACK,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'st',
      scope: 'notes:read',
      resource: world.resource,
      ...extra,
    };
    for (const [k, v] of Object.entries(params)) if (v !== '') url.searchParams.set(k, v);
    return { url, verifier };
  };
  const register = (body: Record<string, unknown>) =>
    world.gh.api('POST', '/oauth/register', {
      body: {
        client_name: 'Agent',
        redirect_uris: [CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        ...body,
      },
    });
  const token = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    tokenRequest(world.gh, params, headers);

  it('a self-registered client without a resource, or with an unknown one, gets the error page with the reason', async () => {
    const clientId = `${world.docBase}/agent/client.json`;
    const none = await new CookieBrowser(CALLBACK).go(authorizeUrl(clientId, { resource: '' }).url.toString());
    expect(none.status).toBe(400);
    expect(none.body).toContain('send the resource parameter');
    const unknown = await new CookieBrowser(CALLBACK).go(
      authorizeUrl(clientId, { resource: 'https://unknown.example/mcp' }).url.toString(),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('names no registered resource');
    const twice = authorizeUrl(clientId).url;
    twice.searchParams.append('resource', world.resource);
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
    const p = provider();
    await signInAndCall(p);
    const block = await world.gh.api('POST', `/v1/orgs/${world.orgId}/client-registration/clients/block`, {
      token: world.admin,
      body: { client_id: p.clientId },
    });
    expect(block.status).toBe(200);
    const page = await new CookieBrowser(CALLBACK).go(authorizeUrl(p.clientId).url.toString());
    expect(page.status).toBe(400);
    expect(page.body).toContain('blocked by the organization');
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: p.refreshToken!,
      client_id: p.clientId,
    });
    expect(refreshed.status).toBe(401);
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('a confidential dynamic client redeems its code only with its secret', async () => {
    await world.gh.api('PUT', `/v1/orgs/${world.orgId}/client-registration`, {
      token: world.admin,
      body: {
        dynamic_client_registration: { enabled: true, confidential_clients: true },
        client_id_metadata_documents: { policy: 'any' },
      },
    });
    const reg = await register({ token_endpoint_auth_method: 'client_secret_basic' });
    expect(reg.status).toBe(201);
    const { client_id: clientId, client_secret: secret } = reg.body as { client_id: string; client_secret: string };
    const { url, verifier } = authorizeUrl(clientId);
    const back = await world.signIn(url, provider());
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
    expect(decodeJwt(body.access_token)).toMatchObject({
      aud: world.resource,
      client_id: clientId,
      scope: 'notes:read',
    });
  });

  // Last: it deletes a note of the user the other tests list.
  it('step-up: a notes:read token meets 403 insufficient_scope, the SDK signs in again and ends with both scopes', async () => {
    const p = provider();
    expect(await auth(p, { serverUrl: world.resource, scope: 'notes:read' })).toBe('REDIRECT');
    const first = p.callback!;
    expect(await auth(p, { serverUrl: world.resource, authorizationCode: expectCallback(world, first) })).toBe(
      'AUTHORIZED',
    );
    expect(scopesOf(p)).toContain('notes:read');
    expect(scopesOf(p)).not.toContain('notes:write');
    const transport = new StreamableHTTPClientTransport(new URL(world.resource), { authProvider: p });
    const client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
    await client.connect(transport);
    // The 403 names every scope delete_note needs; the transport authorizes again for them,
    // which sends the person through the pages (consent for the wider scope) once more.
    const refused = await client.callTool({ name: 'delete_note', arguments: { id: 'n2' } }).then(
      () => null,
      (e: unknown) => e,
    );
    const second = p.callback!;
    expect(second).not.toBe(first);
    // After the redirect the transport hands the callback back to the application.
    expect(refused).toBeInstanceOf(UnauthorizedError);
    await transport.finishAuth(expectCallback(world, second));
    expect(scopesOf(p)).toEqual(expect.arrayContaining(['notes:read', 'notes:write']));
    const done = (await client.callTool({ name: 'delete_note', arguments: { id: 'n2' } })) as {
      content: { text: string }[];
    };
    expect(done.content[0].text).toBe('Deleted note n2.');
    await client.close();
  });
});
