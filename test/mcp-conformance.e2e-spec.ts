import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/gatehouse';
import { HeadlessProvider, startMcpWorld, type McpWorld } from './support/mcp-sign-in';

const ROOT = join(__dirname, '..');
const CLI = require.resolve('@modelcontextprotocol/conformance/dist/index.js', { paths: [ROOT] });
// The conformance CLI needs Node ≥ 22 (fs.globSync); npm scripts run the npm `node` package's.
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  errorMessage?: string;
}

/** Every checks.json the CLI wrote under `dir` (one directory per scenario). */
function readChecks(dir: string): Check[] {
  const out: Check[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...readChecks(path));
    else if (name === 'checks.json') out.push(...(JSON.parse(readFileSync(path, 'utf8')) as Check[]));
  }
  return out;
}

/**
 * The official MCP conformance tool's authorization-server suite
 * (`@modelcontextprotocol/conformance authorization`, docs/client-registration.md#mcp-conformance)
 * against Gatehouse, for a token meant for apps/mcp-demo (`--resource`), offline: everything
 * listens on loopback. The tool prints the authorization URL and waits on its own callback
 * server; the test plays the person through the hosted pages and follows the redirect to it.
 * Every check must pass; `EXPECTED_NOT_PASSING` names the ones that cannot and why, and the
 * test asserts that exact set, so any other failure — or one of these starting to pass — fails
 * it.
 */
describe('MCP conformance: the authorization server suite', () => {
  let world: McpWorld;
  let out: string;
  /** The callback port of the run under way, named by the metadata document the test serves. */
  let cimdPort = 0;

  /**
   * Checks that do not pass, with the reason. Empty: Gatehouse passes the whole suite of
   * @modelcontextprotocol/conformance 0.2.0-alpha.12 (authorization-server-metadata,
   * authorization-server-metadata-cimd, authorization-code-grant).
   */
  const EXPECTED_NOT_PASSING: Record<string, string> = {};

  beforeAll(async () => {
    world = await startMcpWorld({
      documents: (docBase) => ({
        '/agent/conformance.json': {
          client_id: `${docBase}/agent/conformance.json`,
          client_name: 'Conformance tool (CIMD)',
          redirect_uris: [`http://127.0.0.1:${cimdPort}/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'none',
        },
      }),
    });
    out = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-'));
  });
  afterAll(async () => {
    await world?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  async function runSuite(
    clientId: string,
    port: number,
    dir: string,
  ): Promise<{ code: number | null; stdout: string }> {
    const redirectUrl = `http://127.0.0.1:${port}/callback`;
    const child = spawn(
      NODE,
      [
        CLI,
        'authorization',
        '--url',
        world.gh.url,
        '--client-id',
        clientId,
        '--resource',
        world.resource,
        '--port',
        String(port),
        '--output-dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    let signedIn: Promise<void> | null = null;
    const failures: unknown[] = [];
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = new RegExp(`^${world.gh.url.replace(/[.:/]/g, '\\$&')}/oauth/authorize\\?\\S+$`, 'm').exec(stdout);
      if (url && !signedIn) {
        // The person at the keyboard: the hosted pages, then the redirect to the tool's callback.
        signedIn = (async () => {
          const provider = new HeadlessProvider<object, object>(world.signIn, { redirectUrl });
          const back = await world.signIn(new URL(url[0]), provider);
          const res = await fetch(back);
          expect(res.status).toBe(200);
        })().catch((e: unknown) => void failures.push(e));
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    await signedIn;
    if (failures.length) throw failures[0];
    return { code, stdout };
  }

  /** One client of each kind, registered for the tool's callback on `port`. */
  const clients: Record<string, (port: number) => Promise<string>> = {
    'a pre-registered public app': async (port) => {
      const app = await world.gh.api('POST', `/v1/orgs/${world.orgId}/apps`, {
        token: world.admin,
        body: {
          name: `Conformance tool ${port}`,
          client_type: 'public',
          scopes: ['notes:read'],
          audiences: [world.resource],
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [`http://127.0.0.1:${port}/callback`],
        },
      });
      expect(app.status).toBe(201);
      return app.body.client_id as string;
    },
    'a Client ID Metadata Document': async (port) => {
      cimdPort = port;
      return `${world.docBase}/agent/conformance.json`;
    },
    'a dynamically registered client': async (port) => {
      const reg = await world.gh.api('POST', '/oauth/register', {
        body: {
          client_name: 'Conformance tool (DCR)',
          redirect_uris: [`http://127.0.0.1:${port}/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
        },
      });
      expect(reg.status).toBe(201);
      return reg.body.client_id as string;
    },
  };

  it.each(Object.keys(clients))(
    'passes with %s (PKCE, resource, iss, no-store)',
    async (kind) => {
      const port = await freePort();
      const dir = join(out, String(port));
      const { code, stdout } = await runSuite(await clients[kind](port), port, dir);
      const checks = readChecks(dir);
      const notPassing = checks.filter((c) => c.status !== 'SUCCESS' && c.status !== 'INFO');
      expect({ notPassing: notPassing.map((c) => `${c.id}: ${c.errorMessage ?? c.status}`) }).toEqual({
        notPassing: Object.entries(EXPECTED_NOT_PASSING).map(([id]) => expect.stringContaining(`${id}:`)),
      });
      expect(checks.map((c) => c.id).sort()).toEqual(
        ['authorization-code-grant', 'authorization-server-metadata', 'authorization-server-metadata-cimd'].sort(),
      );
      expect({ code, tail: code === 0 ? '' : stdout.slice(-2000) }).toEqual({ code: 0, tail: '' });
    },
    120_000,
  );
});
