import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  auth,
  Client,
  StreamableHTTPClientTransport,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { hasChromium, launch, type Browser } from './console/browser';
import {
  expectCallback,
  HeadlessProvider,
  MCP_SCOPE,
  startMcpWorld,
  type McpWorld,
  type SignInDriver,
} from './support/mcp-sign-in';

const run = hasChromium() ? describe : describe.skip;

/**
 * One SDK path in a real browser (docs/client-registration.md#proven-with-the-mcp-sdks): the
 * official `@modelcontextprotocol/client` 2.x registers itself (DCR) and its provider's
 * `redirectToAuthorization` opens the authorization URL in Chromium (playwright-core,
 * /usr/bin/chromium), where the person types their email and password into the hosted pages
 * and allows access; Chromium lands on the client's loopback callback and the SDK finishes
 * with that code, then calls the demo's tools.
 */
run('MCP sign-in: the SDK sends the person through Chromium', () => {
  let world: McpWorld;
  let browser: Browser;
  let callbackServer: Server;
  let redirectUrl = '';

  beforeAll(async () => {
    callbackServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>back</title><p>back</p>');
    });
    await new Promise<void>((r) => callbackServer.listen(0, '127.0.0.1', r));
    redirectUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
    world = await startMcpWorld();
    browser = await launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
    callbackServer?.closeAllConnections();
    await new Promise((r) => callbackServer?.close(r));
  });

  /** The person in Chromium: email, password, Allow; answers where the browser came back to. */
  const inChromium: SignInDriver = async (url) => {
    const page = await browser.context.newPage();
    try {
      await page.goto(url.toString());
      await page.getByLabel('Email address').fill(world.email);
      await page.keyboard.press('Enter');
      await page.getByLabel('Password').waitFor();
      await page.getByLabel('Password').fill(world.password);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page
        .waitForURL((u) => u.toString().startsWith(redirectUrl), { timeout: 10_000 })
        .catch(async () => {
          throw new Error(`stuck at ${page.url()}: ${(await page.content()).slice(0, 1500)}`);
        });
      return new URL(page.url());
    } finally {
      await page.close();
    }
  };

  it('auth() → Chromium through the hosted pages → auth() with the code → the tools', async () => {
    const p = new HeadlessProvider<StoredOAuthClientInformation, StoredOAuthTokens>(inChromium, { redirectUrl });
    expect(await auth(p, { serverUrl: world.resource, scope: MCP_SCOPE })).toBe('REDIRECT');
    const back = p.callback!;
    const code = expectCallback(world, back, redirectUrl);
    expect(
      await auth(p, { serverUrl: world.resource, authorizationCode: code, iss: back.searchParams.get('iss')! }),
    ).toBe('AUTHORIZED');
    expect(p.clientId).toMatch(/^dcr_/);
    expect(decodeJwt(p.accessToken)).toMatchObject({ aud: world.resource, tier: 'user', client_id: p.clientId });
    const client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(world.resource), { authProvider: p }));
    const listed = (await client.callTool({ name: 'list_notes', arguments: {} })) as { content: { text: string }[] };
    expect((JSON.parse(listed.content[0].text) as { id: string }[]).map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    await client.close();
    expect(browser.problems).toEqual([]);
  }, 120_000);
});
