import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createProtectedResource, protectNodeRequest, sendOutcome, type ProtectedResource } from '@gatehouse/verifier';
import type { McpDemoConfig } from './config';
import { NoteStore } from './notes';
import { Specialist } from './specialist';
import { StepTokens } from './step-tokens';
import { BASE_SCOPES, buildMcpServer, TOOL_SCOPES, type CallerContext, type ToolDeps } from './tools';

const MAX_BODY_BYTES = 1_000_000;

export interface McpDemo {
  resource: ProtectedResource;
  server: Server;
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * An MCP server (Streamable HTTP, stateless) protected by `@gatehouse/verifier`: its RFC 9728
 * metadata at the well-known paths, a Gatehouse token for this resource on every MCP request
 * (401 with `resource_metadata` otherwise), and per-tool scopes checked before the call reaches
 * the SDK (403 `insufficient_scope` naming every scope the tool needs).
 */
export function createMcpDemo(config: McpDemoConfig): McpDemo {
  const resource = createProtectedResource({
    resource: config.resource,
    issuer: config.issuer,
    scopesSupported: ['notes:read', 'notes:write'],
    resourceName: 'Gatehouse MCP demo (notes)',
    verifierOptions: config.revocationFeed
      ? { revocations: { credentials: { clientId: config.client.id, clientSecret: config.client.secret } } }
      : {},
  });
  const notes = new NoteStore();
  const deps: ToolDeps = {
    notes,
    steps: new StepTokens(config),
    specialist: new Specialist(resource.verifier, notes),
  };
  const mcpPath = new URL(config.resource).pathname;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      process.stderr.write(`mcp-demo: ${(err as Error).stack ?? String(err)}\n`);
      if (!res.headersSent) json(res, 500, { error: 'server_error' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== mcpPath && !resource.isMetadataPath(path)) return json(res, 404, { error: 'not_found' });
    const auth = await protectNodeRequest(resource, req, res, { scopes: BASE_SCOPES });
    if (!auth) return; // metadata, or a refusal with its challenge
    if (req.method !== 'POST') {
      // Stateless Streamable HTTP: no server-initiated stream, no session to end.
      res.setHeader('Allow', 'POST');
      return json(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
    }
    const body = await readJson(req);
    if (body === undefined) {
      return json(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
    }
    const needed = scopesFor(body);
    if (needed.length) {
      const outcome = resource.authorize(auth.principal, needed);
      if (outcome.kind === 'respond') return sendOutcome(res, outcome);
    }
    const p = auth.principal;
    const caller: CallerContext = { principal: p, token: auth.token };
    const authInfo: AuthInfo = {
      token: auth.token,
      clientId: p.client_id ?? p.sub,
      scopes: p.scopes,
      expiresAt: p.exp,
      resource: new URL(config.resource),
      extra: { caller },
    };
    (req as IncomingMessage & { auth?: AuthInfo }).auth = authInfo;
    const mcp = buildMcpServer(deps);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return {
    resource,
    server,
    listen: () =>
      new Promise((resolve) => {
        server.listen(config.port, config.host, () => {
          const a = server.address() as AddressInfo;
          resolve(`http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${a.port}`);
        });
      }),
    close: async () => {
      resource.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The union of the scopes of every tool a JSON-RPC message (or batch) calls. */
export function scopesFor(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const scopes = new Set<string>();
  for (const m of messages) {
    const msg = m as { method?: unknown; params?: { name?: unknown } } | null;
    if (msg?.method !== 'tools/call' || typeof msg.params?.name !== 'string') continue;
    for (const s of TOOL_SCOPES[msg.params.name] ?? []) scopes.add(s);
  }
  return [...scopes];
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
}
