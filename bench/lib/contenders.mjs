// The contenders of `npm run bench` besides Gatehouse: the raw sign loop, the bare node:http
// signer and node-oidc-provider. Each HTTP contender is a child process of the bench (one
// process tree) and exposes the same shape as bench/lib/gatehouse-contender.mjs:
// `scenarios` (load options per endpoint, null where it has none), `roles()` (PIDs whose
// CPU counts) and `stop()`.
import { fork } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { processTree } from './cpu.mjs';
import { freePort } from './services.mjs';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/**
 * RS256 signatures of a Gatehouse-shaped token in a plain loop on this thread: the rate and
 * the CPU a signature costs (process.cpuUsage, so time the thread was preempted does not
 * count), the denominator of every ratio.
 */
export function rawSign(seconds) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'key_bench' })).toString('base64url');
  const claims = Buffer.from(
    JSON.stringify({ iss: 'http://127.0.0.1:3000', sub: 'app_01', aud: 'x', exp: 1, iat: 1, nbf: 1, jti: 'jti_x', scope: 'a b', tier: 'app', org: 'acme', org_id: 'org_1', client_id: 'app_01' }),
  ).toString('base64url');
  const input = Buffer.from(`${header}.${claims}`);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    sign('sha256', input, privateKey);
    n++;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: n / wall, cpuPerSignUs: (cpu.user + cpu.system) / n };
}

async function forkServer(script, env) {
  const port = await freePort();
  const child = fork(join(benchDir, script), [], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const info = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${stderr}`)));
  });
  return {
    child,
    port,
    info,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** bench/bare-token-server.mjs: the least a token endpoint can do. */
export async function bareSigner() {
  const s = await forkServer('bare-token-server.mjs', {});
  const url = `http://127.0.0.1:${s.port}`;
  return {
    name: 'bare node:http signer',
    scenarios: {
      cc: () => ({ url: `${url}/oauth/token`, method: 'POST', body: 'grant_type=client_credentials', headers: FORM }),
    },
    roles: async () => ({ server: processTree(s.child.pid) }),
    stop: s.stop,
  };
}

/** node-oidc-provider, configured like for like (bench/peer-oidc-provider.mjs). */
export async function peerProvider({ rounds, connections }) {
  // One pool of refresh tokens per round and scenario run (a run spends its chains).
  const s = await forkServer('peer-oidc-provider.mjs', { PEER_REFRESH_TOKENS: String(rounds * connections) });
  const { issuer, resource, scope, client, refreshTokens } = s.info;
  const auth = basic(client.client_id, client.client_secret);
  const headers = { ...FORM, authorization: auth };
  const opaque = await fetch(`${issuer}/token`, { method: 'POST', headers, body: `grant_type=client_credentials&scope=${scope}` }).then((r) => r.json());
  const pools = Array.from({ length: rounds }, (_, i) => refreshTokens.slice(i * connections, (i + 1) * connections));
  return {
    name: 'node-oidc-provider',
    scenarios: {
      cc: () => ({ url: `${issuer}/token`, method: 'POST', headers, body: `grant_type=client_credentials&scope=${scope}&resource=${encodeURIComponent(resource)}` }),
      refresh: (round) => ({
        opts: { url: `${issuer}/token`, headers },
        pool: pools[round],
        body: (rt) => `grant_type=refresh_token&refresh_token=${rt}`,
      }),
      introspect: () => ({ url: `${issuer}/token/introspection`, method: 'POST', headers, body: `token=${opaque.access_token}` }),
      jwks: () => ({ url: `${issuer}/jwks` }),
      exchange: null, // node-oidc-provider 9 has no RFC 8693 grant built in
    },
    roles: async () => ({ server: processTree(s.child.pid) }),
    stop: s.stop,
  };
}
