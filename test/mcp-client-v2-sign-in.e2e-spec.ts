import {
  auth,
  Client,
  IssuerMismatchError,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import {
  expectCallback,
  expectCimdConsent,
  HeadlessProvider,
  MCP_SCOPE as SCOPE,
  refreshThenWrongResource,
  scopesOf,
  startMcpWorld,
  type McpWorld,
} from './support/mcp-sign-in';

type Provider = HeadlessProvider<StoredOAuthClientInformation, StoredOAuthTokens>;

/**
 * The same flows as test/mcp-sdk-sign-in.e2e-spec.ts with the official
 * `@modelcontextprotocol/client` 2.x, which also checks the authorization response's `iss`
 * (RFC 9207): a mismatched one is refused with IssuerMismatchError before the code is redeemed
 * (docs/client-registration.md#proven-with-the-mcp-sdks, docs/resources.md). Its `auth()`
 * discovers the demo's protected-resource metadata and Gatehouse, sends the person through the
 * hosted pages, redeems the code with PKCE and `resource`, and its transport calls the demo's
 * tools with the token — once with a Client ID Metadata Document served by the test on
 * loopback, once as a pre-registered public app, once through dynamic registration. Then a
 * refresh for the resource, and a refresh for a resource the grant was not made for refused
 * with `invalid_target`; and step-up: a tool needing the wider scope answers 403
 * `insufficient_scope`, the transport authorizes again for every scope the challenge names,
 * and the call then succeeds.
 */
describe('MCP sign-in with the official @modelcontextprotocol/client 2.x', () => {
  let world: McpWorld;
  const provider = (
    opts: ConstructorParameters<typeof HeadlessProvider<StoredOAuthClientInformation, StoredOAuthTokens>>[1] = {},
  ) => new HeadlessProvider<StoredOAuthClientInformation, StoredOAuthTokens>(world.signIn, opts);

  /** auth() → the pages → auth() with the code → the demo's tools through the SDK transport. */
  async function signInAndCall(p: Provider): Promise<void> {
    expect(await auth(p, { serverUrl: world.resource, scope: SCOPE })).toBe('REDIRECT');
    const back = p.callback!;
    const code = expectCallback(world, back);
    // RFC 9207 §2.4: an `iss` other than the issuer the client discovered is a mix-up; the
    // client refuses before redeeming the code, which then still works with the right one.
    const mixUp = await auth(p, {
      serverUrl: world.resource,
      authorizationCode: code,
      iss: 'https://evil.example',
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(mixUp).toBeInstanceOf(IssuerMismatchError);
    expect(mixUp).toMatchObject({ kind: 'authorization_response', expected: world.gh.url });
    expect(
      await auth(p, { serverUrl: world.resource, authorizationCode: code, iss: back.searchParams.get('iss')! }),
    ).toBe('AUTHORIZED');
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
    const p = provider({ preRegistered: { client_id: world.publicApp.client_id, issuer: world.gh.url } });
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

  it('step-up: a notes:read token meets 403 insufficient_scope, the SDK signs in again and ends with both scopes', async () => {
    const p = provider();
    expect(await auth(p, { serverUrl: world.resource, scope: 'notes:read' })).toBe('REDIRECT');
    const first = p.callback!;
    expect(
      await auth(p, {
        serverUrl: world.resource,
        authorizationCode: expectCallback(world, first),
        iss: first.searchParams.get('iss')!,
      }),
    ).toBe('AUTHORIZED');
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
    expectCallback(world, second);
    await transport.finishAuth(second.searchParams);
    expect(scopesOf(p)).toEqual(expect.arrayContaining(['notes:read', 'notes:write']));
    const done = (await client.callTool({ name: 'delete_note', arguments: { id: 'n2' } })) as {
      content: { text: string }[];
    };
    expect(done.content[0].text).toBe('Deleted note n2.');
    await client.close();
  });
});
