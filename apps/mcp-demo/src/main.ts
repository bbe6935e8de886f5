import { createMcpDemo } from './http-server';
import { loadMcpDemoConfig, McpDemoConfigError, type McpDemoConfig } from './config';

/**
 * mcp-demo: an MCP server protected by Gatehouse (README "Protect an MCP server with
 * Gatehouse"). `npm run start:mcp-demo`.
 */
async function main(): Promise<void> {
  let config: McpDemoConfig;
  try {
    config = loadMcpDemoConfig(process.env);
  } catch (err) {
    if (err instanceof McpDemoConfigError) {
      process.stderr.write(`mcp-demo: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const demo = createMcpDemo(config);
  const base = await demo.listen();
  await demo.resource.verifier.ready().catch((err: unknown) => {
    process.stderr.write(`mcp-demo: cannot load Gatehouse's keys yet (${(err as Error).message}); retrying on use\n`);
  });
  process.stdout.write(
    `mcp-demo: MCP endpoint ${config.resource} (listening on ${base}); tokens from ${config.issuer}; ` +
      `metadata at ${demo.resource.metadataUrl}\n`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void demo.close().then(() => process.exit(0)));
  }
}

void main();
