/** The MCP demo's configuration: environment → one frozen object; a bad value names its variable. */
export interface McpDemoConfig {
  port: number;
  host: string;
  /** Gatehouse's issuer URL. */
  issuer: string;
  /** This server's resource identifier, exactly as registered (`gatehouse resources create`). */
  resource: string;
  /** The demo's own app at Gatehouse: it exchanges incoming tokens for step tokens. */
  client: { id: string; secret: string };
  /** Poll Gatehouse's revocation feed with the demo's credentials (the app needs `gatehouse:revocations`). */
  revocationFeed: boolean;
}

export class McpDemoConfigError extends Error {}

export function loadMcpDemoConfig(env: NodeJS.ProcessEnv): McpDemoConfig {
  const get = (k: string) => (env[k] === '' ? undefined : env[k]);
  const url = (name: string, example: string) => {
    const v = get(name);
    try {
      if (v && /^https?:$/.test(new URL(v).protocol)) return v;
    } catch {
      // fall through
    }
    throw new McpDemoConfigError(`${name} must be an http(s) URL, e.g. ${example}`);
  };
  const issuer = url('GATEHOUSE_ISSUER', 'http://127.0.0.1:3000');
  const resource = url('MCP_RESOURCE', 'http://127.0.0.1:4100/mcp');
  const id = get('MCP_DEMO_CLIENT_ID');
  const secret = get('MCP_DEMO_CLIENT_SECRET');
  if (!id || !secret) {
    throw new McpDemoConfigError(
      'MCP_DEMO_CLIENT_ID and MCP_DEMO_CLIENT_SECRET (the demo app’s credentials) are required',
    );
  }
  const port = Number(get('PORT') ?? new URL(resource).port ?? 4100);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new McpDemoConfigError('PORT must be a port number');
  const feed = get('MCP_DEMO_REVOCATION_FEED') ?? 'false';
  if (feed !== 'true' && feed !== 'false')
    throw new McpDemoConfigError('MCP_DEMO_REVOCATION_FEED must be true or false');
  return Object.freeze({
    port,
    host: get('HOST') ?? '127.0.0.1',
    issuer,
    resource,
    client: { id, secret },
    revocationFeed: feed === 'true',
  });
}
