// `npm run soak` (not in CI; docs/reliability.md#soak): Gatehouse on every core for
// SOAK_MINUTES (default 10) at SOAK_FRACTION (default 0.5) of the peak token rate measured
// first. Prints, per 30 s window, requests, errors (non-2xx, socket errors, timeouts), p50
// and p99; and the worker processes' RSS at start and end. Against DATABASE_URL/REDIS_URL
// when set (a fresh database is created and dropped), embedded otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { generate } from 'otplib';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const FRACTION = Number(process.env.SOAK_FRACTION ?? 0.5);
const WINDOW_S = 30;
const CONNECTIONS = 16;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function workerRss(pid) {
  const rss = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${e}/status`, 'utf8'));
      if (m) rss.push({ pid: Number(e), rss_mb: Math.round(Number(m[1]) / 102.4) / 10 });
    } catch {
      // gone
    }
  }
  return rss;
}

const run = (opts) =>
  new Promise((resolve, reject) => autocannon({ connections: CONNECTIONS, ...opts }, (e, r) => (e ? reject(e) : resolve(r))));

async function main() {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', GATEHOUSE_WORKERS: String(availableParallelism()) };
  let cleanup = async () => {};
  if (process.env.DATABASE_URL) {
    const name = `gh_soak_${randomBytes(4).toString('hex')}`;
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    Object.assign(env, { DATABASE_URL: u.toString(), GATEHOUSE_KEK: randomBytes(32).toString('base64') });
    if (process.env.REDIS_URL) Object.assign(env, { REDIS_URL: process.env.REDIS_URL, GATEHOUSE_REDIS_PREFIX: `gh:soak:${randomBytes(3).toString('hex')}:` });
    cleanup = async () => {
      const d = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-soak-'));
    env.GATEHOUSE_DATA_DIR = dir;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  env.PORT = String(await freePort());
  const url = `http://127.0.0.1:${env.PORT}`;
  const child = spawn(process.execPath, [join(root, 'dist/apps/gatehouse/src/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; i < 240 && !(await fetch(`${url}/readyz`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 250));
    const email = `soak-${randomBytes(3).toString('hex')}@example.test`;
    const password = `Soak-Password-${randomBytes(4).toString('hex')}-1`;
    const cli = spawnSync(process.execPath, [join(root, 'bin/gatehouse.js'), 'admin', 'create', '--email', email, '--password', password, '--platform', '--json'], { env, encoding: 'utf8' });
    if (cli.status !== 0) throw new Error(cli.stderr);
    const admin = JSON.parse(cli.stdout);
    const post = async (path, body, token) =>
      (await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) })).json();
    const { mfa_token } = await post('/v1/admin/login', { email, password });
    const { access_token } = await post('/v1/admin/login/mfa', { mfa_token, code: await generate({ secret: admin.mfa.secret }) });
    const org = await post('/v1/orgs', { name: `soak-${randomBytes(3).toString('hex')}`, display_name: 'Soak' }, access_token);
    const app = await post(`/v1/orgs/${org.id}/apps`, { name: 'soak', scopes: ['soak'], token_rate_limit: { requests: 1_000_000, per_seconds: 60 } }, access_token);
    const target = {
      url: `${url}/oauth/token`,
      method: 'POST',
      body: 'grant_type=client_credentials',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
    };
    const peak = await run({ ...target, duration: 10 });
    const rate = Math.max(1, Math.floor(peak.requests.average * FRACTION));
    const rssStart = workerRss(child.pid);
    console.log(JSON.stringify({ peak_rps: Math.round(peak.requests.average), soak_rps: rate, minutes: MINUTES, workers: env.GATEHOUSE_WORKERS, rss_start: rssStart }));
    const windows = [];
    for (let w = 0; w < Math.ceil((MINUTES * 60) / WINDOW_S); w++) {
      const r = await run({ ...target, duration: WINDOW_S, overallRate: rate });
      const row = { window: w + 1, requests: r.requests.total, errors: r.non2xx + r.errors + r.timeouts, p50_ms: r.latency.p50, p99_ms: r.latency.p99 };
      windows.push(row);
      console.log(JSON.stringify(row));
    }
    const rssEnd = workerRss(child.pid);
    const sum = (l) => l.reduce((a, b) => a + b.rss_mb, 0);
    console.log(
      JSON.stringify({
        total_requests: windows.reduce((a, b) => a + b.requests, 0),
        total_errors: windows.reduce((a, b) => a + b.errors, 0),
        p99_first_ms: windows[0]?.p99_ms,
        p99_last_ms: windows.at(-1)?.p99_ms,
        rss_start_mb: sum(rssStart),
        rss_end_mb: sum(rssEnd),
        rss_growth_pct: Math.round(((sum(rssEnd) - sum(rssStart)) / sum(rssStart)) * 1000) / 10,
        rss_end: rssEnd,
      }),
    );
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
