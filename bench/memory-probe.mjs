// `npm run bench:memory` (docs/performance.md#memory-and-startup): what a Gatehouse process
// holds and how long it takes to start, both independent of the machine's CPU load, so
// measurable on a shared machine. Against DATABASE_URL (a fresh database, dropped after)
// and REDIS_URL when set, embedded otherwise.
//
// 1. start once on the empty database (migrations applied), stop;
// 2. start again on that warm database: milliseconds from spawn to the first 200 from
//    /readyz, and to each worker's "listening" (GATEHOUSE_WORKERS, default 2);
// 3. warm up: the console, /openapi.json, /docs, a sign-in, management calls, then
//    PROBE_TOKENS (20,000) client-credentials tokens at 10 connections;
// 4. resident memory (VmRSS) of the primary and of every worker, PROBE_SETTLE_S (5) seconds later.
// Prints one JSON line per phase. PROBE_NODE_ARGS passes flags to the server's node
// (e.g. "--heapsnapshot-signal=SIGUSR2"); PROBE_KEEP_S keeps it up that long before stopping.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { generate } from 'otplib';
import { processTree } from './lib/cpu.mjs';
import { createDatabase, freePort, sleep } from './lib/services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORKERS = Number(process.env.GATEHOUSE_WORKERS ?? 2);
const TOKENS = Number(process.env.PROBE_TOKENS ?? 20_000);
const SETTLE_S = Number(process.env.PROBE_SETTLE_S ?? 5);
const KEEP_S = Number(process.env.PROBE_KEEP_S ?? 0);
const NODE_ARGS = (process.env.PROBE_NODE_ARGS ?? '').split(' ').filter(Boolean);

function status(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k, text = s) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0);
    const mb = (x) => Math.round(x / 102.4) / 10;
    // Anonymous: the heap, native allocations; the rest of RSS is mapped files (node's own binary).
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rss_mb: mb(kb('VmRSS')), hwm_mb: mb(kb('VmHWM')), anon_mb: mb(kb('Anonymous', rollup)) };
  } catch {
    return null;
  }
}

/** CPU (user + system) a process has spent so far, in ms. */
function cpuMs(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Math.round(((Number(f[11]) + Number(f[12])) / 100) * 1000);
  } catch {
    return null;
  }
}

/**
 * The primary and its node workers (embedded PostgreSQL's processes left out). Node 24 names
 * its main thread, so a worker's comm is `MainThread`, not `node`: leave out postgres rather
 * than keep node (keeping node found no worker at all on Node 24).
 */
function processes(pid) {
  return processTree(pid)
    .filter((p) => p === pid || !readFileSync(`/proc/${p}/comm`, 'utf8').trim().startsWith('postgres'))
    .map((p) => ({ pid: p, role: p === pid ? (WORKERS > 1 ? 'primary' : 'process') : 'worker', ...status(p) }));
}

async function start(env, label) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...NODE_ARGS, join(root, 'dist/apps/gatehouse/src/main.js')], {
    // The per-worker start lines are at debug (docs/reliability.md#logs).
    env: { LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listening = [];
  child.stdout.on('data', (d) => {
    out += d;
    // The single process logs once it listens; a primary, once per worker (its start in ms).
    // With it, the CPU the process had spent by then: on a shared machine the wall clock is
    // mostly waiting for a core.
    for (const m of String(d).matchAll(/Gatehouse is listening at http\S* \(Node \S+, 1 worker\)|worker (\d+) listening after (\d+) ms/g))
      listening.push(
        m[1]
          ? { wall_ms: Number(m[2]), cpu_ms: cpuMs(Number(m[1])) }
          : { wall_ms: Math.round(performance.now() - t0), cpu_ms: cpuMs(child.pid) },
      );
  });
  child.stderr.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${env.PORT}`;
  let ready = null;
  for (let i = 0; i < 1200; i++) {
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) {
      ready = Math.round(performance.now() - t0);
      break;
    }
    if (child.exitCode !== null) throw new Error(`Gatehouse exited: ${out}`);
    await sleep(25);
  }
  if (ready === null) throw new Error(`Gatehouse did not become ready: ${out}`);
  // The other workers: every one must have answered before the start counts as done.
  const expected = WORKERS > 1 ? WORKERS : 1;
  for (let i = 0; i < 400 && listening.length < expected; i++) await sleep(25);
  console.log(JSON.stringify({ phase: label, workers: WORKERS, ready_ms: ready, primary_cpu_ms: WORKERS > 1 ? cpuMs(child.pid) : null, started: listening }));
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, url, stop };
}

async function warmUp(url, env) {
  const email = `probe-${randomBytes(3).toString('hex')}@example.test`;
  const password = `Probe-Password-${randomBytes(4).toString('hex')}-1`;
  const cli = spawnSync(process.execPath, [join(root, 'bin/gatehouse.js'), 'admin', 'create', '--email', email, '--password', password, '--platform', '--json'], {
    env,
    encoding: 'utf8',
  });
  if (cli.status !== 0) throw new Error(`gatehouse admin create: ${cli.stderr}`);
  const admin = JSON.parse(cli.stdout);
  const call = async (path, body, token) => {
    const r = await fetch(url + path, {
      method: body ? 'POST' : 'GET',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const { mfa_token } = await call('/v1/admin/login', { email, password });
  const { access_token } = await call('/v1/admin/login/mfa', { mfa_token, code: await generate({ secret: admin.mfa.secret }) });
  const org = await call('/v1/orgs', { name: `probe-${randomBytes(3).toString('hex')}`, display_name: 'Probe' }, access_token);
  const app = await call(`/v1/orgs/${org.id}/apps`, { name: 'probe', scopes: ['probe'], token_rate_limit: { requests: 1_000_000, per_seconds: 60 } }, access_token);
  // Every worker serves the documents and the console at least once (connections are spread).
  for (let i = 0; i < 4 * Math.max(1, WORKERS); i++) {
    for (const path of ['/openapi.json', '/docs', '/console/', '/.well-known/openid-configuration', '/.well-known/jwks.json']) {
      const r = await fetch(url + path, { headers: { connection: 'close' } });
      await r.arrayBuffer();
    }
    await call('/v1/me', null, access_token);
    await call(`/v1/orgs/${org.id}/apps`, null, access_token);
    await call(`/v1/audit?limit=50`, null, access_token);
  }
  const result = await new Promise((resolve, reject) =>
    autocannon(
      {
        url: `${url}/oauth/token`,
        method: 'POST',
        connections: 10,
        amount: TOKENS,
        body: 'grant_type=client_credentials',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
        },
      },
      (e, r) => (e ? reject(e) : resolve(r)),
    ),
  );
  console.log(JSON.stringify({ phase: 'warm-up', tokens: result['2xx'], errors: result.non2xx + result.errors }));
}

async function main() {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', GATEHOUSE_WORKERS: String(WORKERS), GATEHOUSE_BCRYPT_COST: '10' };
  let cleanup = async () => {};
  if (process.env.DATABASE_URL) {
    const db = await createDatabase(process.env.DATABASE_URL);
    Object.assign(env, { DATABASE_URL: db.url, GATEHOUSE_KEK: randomBytes(32).toString('base64') });
    if (process.env.REDIS_URL) Object.assign(env, { REDIS_URL: process.env.REDIS_URL, GATEHOUSE_REDIS_PREFIX: `gh:probe:${randomBytes(3).toString('hex')}:` });
    cleanup = () => db.drop();
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-probe-'));
    env.GATEHOUSE_DATA_DIR = dir;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  env.PORT = String(await freePort());
  try {
    await (await start(env, 'start, empty database')).stop();
    const server = await start(env, 'start, warm database');
    try {
      console.log(JSON.stringify({ phase: 'after start', processes: processes(server.child.pid) }));
      await warmUp(server.url, env);
      await sleep(SETTLE_S * 1000);
      console.log(JSON.stringify({ phase: 'after warm-up', processes: processes(server.child.pid) }));
      if (KEEP_S) await sleep(KEEP_S * 1000);
    } finally {
      await server.stop();
    }
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
