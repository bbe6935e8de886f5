// npm run bench:audit-chain — how far the audit hash chain's single head row lets audit rows
// scale, for docs/performance.md#the-audit-chain-past-one-machine.
//
// Every audit INSERT takes the chain head's row lock at its first row (migration
// 20261123090000_audit_chain_at_insert) and holds it to commit, so all writers of one
// database — every flusher of every instance — take turns on it. This measures, on a fresh
// database on DATABASE_URL, with the exact statement AuditService's group commit sends
// (one multi-row INSERT of token.issued-shaped rows, autocommit):
//   1. one writer, batch sizes 1…1000: the statement's time per flush, an upper bound of the
//      lock hold (lock at the first row → commit; plus parse and one loopback reply);
//   2. W writers at once (three flushers per instance, as AuditService runs), each looping:
//      rows/s through the chain and wall time per flush — when the lock is never free, that
//      is the hold time as the writers see it;
//   3. I simulated instances, each running AuditService's group commit (a queue, up to three
//      flushes in flight, at most 1,000 rows a flush) on its own connections, fed at a fixed
//      total rate (open loop): whether the chain keeps up, the rows per flush it settles at,
//      and the time from a row's arrival to its commit (what a token response waits for);
//   the implied ceiling: rows/s = tokens/s, since each issued token writes one row.
// env: BENCH_SECONDS per measurement (3), BENCH_AUDIT_BATCHES (1,10,50,100,300,1000),
//      BENCH_AUDIT_WRITERS (1,3,6,12), BENCH_AUDIT_RATES (5000,10000,20000,30000),
//      BENCH_AUDIT_INSTANCES (1,4,8).
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { median } from './lib/load.mjs';
import { createDatabase } from './lib/services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const BATCHES = (process.env.BENCH_AUDIT_BATCHES ?? '1,10,50,100,300,1000').split(',').map(Number);
const WRITERS = (process.env.BENCH_AUDIT_WRITERS ?? '1,3,6,12').split(',').map(Number);
const RATES = (process.env.BENCH_AUDIT_RATES ?? '5000,10000,20000,30000').split(',').map(Number);
const INSTANCES = (process.env.BENCH_AUDIT_INSTANCES ?? '1,4,8').split(',').map(Number);
const COLUMNS = 'id, action, outcome, actor_id, actor_tier, org_id, target_type, target_id, reason, request_id, source_ip, jti, details';

/** A token.issued row as the client-credentials grant writes it (libs/oauth/src/client-credentials.grant.ts). */
function row() {
  const app = 'app_01JBENCHBENCHBENCHBENCHBEN';
  return [
    `audit_${randomBytes(13).toString('hex')}`,
    'token.issued',
    'success',
    app,
    'app',
    'org_01JBENCHBENCHBENCHBENCHBEN',
    'application',
    app,
    null,
    randomBytes(8).toString('hex'),
    '127.0.0.1',
    `jti_${randomBytes(13).toString('hex')}`,
    JSON.stringify({ tier: 'app', grant_type: 'client_credentials', scope: 'bench:read', aud: 'http://127.0.0.1:3000', auth_method: 'client_secret_basic' }),
  ];
}

/** The statement of AuditService.insertMany for `n` rows. */
function insert(n) {
  const params = [];
  const tuples = [];
  for (let i = 0; i < n; i++) {
    const values = row();
    tuples.push(`(${values.map((_, j) => `$${params.length + j + 1}`).join(', ')})`);
    params.push(...values);
  }
  return { text: `INSERT INTO audit_events (${COLUMNS}) VALUES ${tuples.join(', ')}`, values: params };
}

async function connect(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

async function oneWriter(url, n) {
  const c = await connect(url);
  const times = [];
  const rtts = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const q = insert(n);
    const t0 = performance.now();
    await c.query(q);
    times.push(performance.now() - t0);
    const t1 = performance.now();
    await c.query('SELECT 1');
    rtts.push(performance.now() - t1);
  }
  await c.end();
  return { n, flushes: times.length, flushMs: median(times), rttMs: median(rtts) };
}

async function writers(url, w, n) {
  const clients = await Promise.all(Array.from({ length: w }, () => connect(url)));
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  let flushes = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        await c.query(insert(n));
        flushes++;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  return { w, n, rowsPerS: (flushes * n) / wall, msPerFlush: (wall * 1000) / flushes };
}

/** AuditService.recordGrouped/flush (libs/audit/src/audit.service.ts), one per simulated instance. */
class GroupCommit {
  constructor(url) {
    this.pool = new pg.Pool({ connectionString: url, max: 3 });
    this.queue = [];
    this.flushers = 0;
    this.flushes = 0;
    this.rows = 0;
  }
  record(done) {
    this.queue.push(done);
    if (this.flushers < 3) void this.flush();
  }
  async flush() {
    this.flushers++;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 1000);
        await this.pool.query(insert(batch.length));
        this.flushes++;
        this.rows += batch.length;
        for (const done of batch) done();
      }
    } finally {
      this.flushers--;
    }
  }
}

async function openLoop(url, instances, rate) {
  const group = Array.from({ length: instances }, () => new GroupCommit(url));
  const latencies = [];
  let next = 0;
  let offered = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor(((now - t0) / 1000) * rate) - offered;
      for (let i = 0; i < due; i++) {
        const at = performance.now();
        group[next++ % instances].record(() => latencies.push(performance.now() - at));
      }
      offered += due;
    }, 2);
  });
  // Rows still queued when the time is up count against the chain: wait for them, then rate = committed / elapsed.
  while (group.some((g) => g.queue.length > 0 || g.flushers > 0)) await new Promise((r) => setTimeout(r, 5));
  const wall = (performance.now() - t0) / 1000;
  await Promise.all(group.map((g) => g.pool.end()));
  latencies.sort((a, b) => a - b);
  const flushes = group.reduce((a, g) => a + g.flushes, 0);
  const rows = group.reduce((a, g) => a + g.rows, 0);
  return {
    rate,
    instances,
    committedPerS: rows / wall,
    drainS: wall - SECONDS,
    rowsPerFlush: rows / flushes,
    p50: latencies[Math.floor(latencies.length / 2)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
  };
}

async function verifyChain(url) {
  const c = await connect(url);
  const [r] = (
    await c.query(
      `SELECT count(*)::int AS rows, max(chain_seq)::int AS head, (SELECT chain_seq::int FROM audit_chain_head WHERE id = 1) AS stored FROM audit_events`,
    )
  ).rows;
  await c.end();
  return r;
}

async function main() {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must name a PostgreSQL server (a fresh database is created on it)');
  const { migrate } = require(join(root, 'dist/libs/db/src/migrator.js'));
  const db = await createDatabase(process.env.DATABASE_URL);
  try {
    await migrate(db.url);
    const pgVersion = (await db.query('SHOW server_version'))[0].server_version;
    const syncCommit = (await db.query('SHOW synchronous_commit'))[0].synchronous_commit;
    const single = [];
    for (const n of BATCHES) single.push(await oneWriter(db.url, n));
    const multi = [];
    for (const w of WRITERS) for (const n of [2, 100, 1000]) multi.push(await writers(db.url, w, n));
    const open = [];
    for (const instances of INSTANCES) for (const rate of RATES) open.push(await openLoop(db.url, instances, rate));
    const chain = await verifyChain(db.url);

    const out = [];
    out.push(`Audit chain — ${new Date().toISOString()} — PostgreSQL ${pgVersion}, synchronous_commit=${syncCommit}, ${SECONDS} s a measurement`);
    out.push('');
    out.push('One writer (the lock is never contended): time of one group-commit INSERT, an upper bound of the head lock hold');
    out.push('');
    out.push('| rows per flush | flush (median) | loopback round trip | µs per row | rows/s one writer |');
    out.push('|---|---|---|---|---|');
    for (const s of single) {
      out.push(`| ${s.n} | ${s.flushMs.toFixed(2)} ms | ${s.rttMs.toFixed(2)} ms | ${((s.flushMs * 1000) / s.n).toFixed(1)} | ${Math.round((s.n * 1000) / s.flushMs).toLocaleString('en-US')} |`);
    }
    out.push('');
    out.push('W writers at once, each looping on the INSERT (every flush waits for the head lock):');
    out.push('');
    out.push('| writers | rows per flush | rows/s through the chain | wall ms per flush (= hold when saturated) |');
    out.push('|---|---|---|---|');
    for (const m of multi) out.push(`| ${m.w} | ${m.n} | ${Math.round(m.rowsPerS).toLocaleString('en-US')} | ${m.msPerFlush.toFixed(2)} |`);
    out.push('');
    // hold(n) ≈ a + b·n, least squares over the one-writer flushes.
    const xs = single.map((x) => x.n);
    const ys = single.map((x) => x.flushMs);
    const mx = xs.reduce((p, x) => p + x, 0) / xs.length;
    const my = ys.reduce((p, y) => p + y, 0) / ys.length;
    const b = xs.reduce((p, x, i) => p + (x - mx) * (ys[i] - my), 0) / xs.reduce((p, x) => p + (x - mx) ** 2, 0);
    const a = my - b * mx;
    out.push(`Fit: hold per flush ≈ ${a.toFixed(3)} ms + ${(b * 1000).toFixed(1)} µs × rows; one chain's ceiling as batches grow: 1 / ${(b * 1000).toFixed(1)} µs = ${Math.round(1000 / b).toLocaleString('en-US')} rows/s (${Math.round(1000 / (a / 1000 + b)).toLocaleString('en-US')} at 1,000-row flushes).`);
    out.push('');
    out.push("Simulated instances running AuditService's group commit (three flushers each), fed at a fixed total rate:");
    out.push('');
    out.push('| instances | offered rows/s | committed rows/s | left queued at the end (s to drain) | rows per flush | arrival → commit p50 | p99 |');
    out.push('|---|---|---|---|---|---|---|');
    for (const o of open) {
      out.push(`| ${o.instances} | ${o.rate.toLocaleString('en-US')} | ${Math.round(o.committedPerS).toLocaleString('en-US')} | ${o.drainS.toFixed(2)} | ${o.rowsPerFlush.toFixed(1)} | ${o.p50.toFixed(1)} ms | ${o.p99.toFixed(1)} ms |`);
    }
    out.push('');
    const best = multi.reduce((a, m) => (m.rowsPerS > a.rowsPerS ? m : a));
    out.push(`Ceiling: ${Math.round(best.rowsPerS).toLocaleString('en-US')} rows/s = tokens/s through one chain (best of the table: ${best.w} writers × ${best.n} rows a flush).`);
    out.push(`Chain after the run: ${chain.rows} rows, positions 1…${chain.head}, head row at ${chain.stored}: ${chain.rows === chain.head && chain.head === chain.stored ? 'gapless' : 'NOT gapless'}.`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
