// npm run bench — the token endpoint side by side with what bounds it, in one run.
//
//   npm run bench                         raw sign loop, bare signer, node-oidc-provider, Gatehouse
//   npm run bench -- --ab <refA> <refB>   Gatehouse at two git refs ("." = this checkout)
//   options: --rounds N, --scenarios cc,dpop,code,userinfo,signin,refresh,introspect,jwks,exchange,evaluation,evaluation-paced,
//            --workers N,
//            --no-gate-off (skip Gatehouse with an allow-all gate, the gate on-versus-off figure),
//            --doc (the run to bench/results/*.json, its report as docs/performance.md's latest run,
//            a line in its history), --json FILE
//   env: BENCH_SECONDS (10), BENCH_ROUNDS (3; 5 with --ab), BENCH_CONNECTIONS (10), BENCH_WARMUP_SECONDS (1),
//        BENCH_EXACT_REQUESTS (3000), BENCH_DECISION_RATE (1000, evaluation-paced), DATABASE_URL (a server to create fresh databases on;
//        without it each Gatehouse is embedded), REDIS_URL (used when redis-server is not
//        installed; otherwise the bench starts a private one).
//
// Every contender runs in this process tree (children of it, one process each; Gatehouse with
// one worker) and they take turns: each round runs every contender once, the order rotated
// from round to round, so the shared machine's load drifts over all of them alike. The report
// gives per-round figures, medians, and ratios taken within a round (docs/performance.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import bcrypt from 'bcrypt';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bareSigner, peerProvider, rawSign } from './lib/contenders.mjs';
import { perRequest, residentMemory, sample } from './lib/cpu.mjs';
import { startGatehouse } from './lib/gatehouse-contender.mjs';
import { freshHeaderLoad, load, loopLoad, pacedLoad, rotatingLoad, summarize } from './lib/load.mjs';
import { historyLine, report, writeToDoc } from './lib/report.mjs';
import { startRedis } from './lib/services.mjs';
import { buildRef, describeCheckout } from './lib/worktrees.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIOS = ['cc', 'dpop', 'code', 'userinfo', 'signin', 'refresh', 'introspect', 'jwks', 'exchange', 'evaluation', 'evaluation-paced'];

function parseArgs(argv) {
  const o = {
    ab: null,
    rounds: null,
    scenarios: null,
    workers: 1,
    gateOff: true,
    doc: false,
    json: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--ab') o.ab = [value(), value()];
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--scenarios') o.scenarios = value().split(',');
    else if (a === '--workers') o.workers = Number(value());
    else if (a === '--doc') o.doc = true;
    else if (a === '--no-gate-off') o.gateOff = false;
    else if (a === '--json') o.json = value();
    else throw new Error(`unknown option ${a} (see the head of bench/token-bench.mjs)`);
  }
  // A/B answers a narrower question (is B slower than A?) and needs more rounds to see past the noise.
  o.rounds ??= Number(process.env.BENCH_ROUNDS ?? (o.ab ? 5 : 3));
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error('--rounds must be a whole number ≥ 1');
  o.scenarios ??= o.ab ? ['cc'] : SCENARIOS;
  for (const s of o.scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}: one of ${SCENARIOS.join(', ')}`);
  if (!o.scenarios.includes('cc')) o.scenarios.unshift('cc');
  return o;
}

const settings = {
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  warmup: Number(process.env.BENCH_WARMUP_SECONDS ?? 1),
  exactRequests: Number(process.env.BENCH_EXACT_REQUESTS ?? 3000),
};

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

/**
 * One scenario on one contender: load, CPU per request by process, audit flushes for cc. A
 * scenario is made (awaited: the code pool is minted then) before its CPU count starts, from
 * the round and the client-credentials rate just measured in it.
 */
async function measure(c, scenario, round, ccRps) {
  const make = c.scenarios[scenario];
  if (!make) return null;
  const base = { connections: settings.connections, duration: settings.seconds };
  const head = scenario === 'cc' ? await c.chainHead?.() : null;
  const r = await make(round, ccRps);
  const before = sample(await c.roles());
  let res;
  if (scenario === 'refresh') res = await rotatingLoad({ ...base, ...r.opts }, { pool: r.pool, body: r.body });
  else if (r.fresh) res = await freshHeaderLoad({ ...base, ...r }, r.fresh);
  else if (r.loop) res = await loopLoad(base, r.loop);
  else res = r.paced ? await pacedLoad({ ...base, ...r }) : await load({ ...base, ...r });
  const s = summarize(res);
  s.cpu = perRequest(before, sample(await c.roles()), s.requests);
  if (r.bcryptHash) {
    s.bcryptUs = bcryptCpuUs(r.bcryptHash);
    s.bcryptCost = Number(r.bcryptHash.split('$')[2]);
  }
  if (head !== null && head !== undefined) s.audit = await c.auditFlushes(head);
  return s;
}

async function runRounds(contenders, o) {
  const rounds = [];
  for (let r = 0; r < o.rounds; r++) {
    const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]);
    const round = {};
    for (const c of order) {
      if (c.raw) {
        log(`round ${r + 1}/${o.rounds}: raw sign loop`);
        round[c.name] = { raw: rawSign(settings.seconds) };
        continue;
      }
      log(`round ${r + 1}/${o.rounds}: ${c.name}`);
      await c.prepare?.();
      // The first round's warm-up is longer: JIT, connection pools, the client cache.
      const warmup = r === 0 ? Math.max(3, 3 * settings.warmup) : settings.warmup;
      if (warmup > 0) await load({ ...c.scenarios.cc(), connections: settings.connections, duration: warmup });
      round[c.name] = {};
      for (const s of o.scenarios) round[c.name][s] = await measure(c, s, r, round[c.name].cc?.rps);
    }
    rounds.push(round);
  }
  return rounds;
}

/**
 * The CPU one bcrypt comparison of `hash` costs (µs, its cost factor the hash's own), on this
 * thread as the server's libuv pool would spend it: the password step's share of a hosted sign-in.
 */
function bcryptCpuUs(hash) {
  const n = 8;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) bcrypt.compareSync('not-the-password', hash);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

/**
 * After the timed rounds (whose last requests autocannon abandons in flight), a fixed number
 * of token requests with every response read: requests sent, tokens received and
 * token.issued rows must be equal.
 */
async function exactCount(c) {
  const n0 = await c.auditRows();
  if (n0 === null) return null;
  await new Promise((r) => setTimeout(r, 1000));
  const before = await c.auditRows();
  const res = await load({ ...c.scenarios.cc(), connections: settings.connections, amount: settings.exactRequests });
  const rows = (await c.auditRows()) - before;
  return { sent: settings.exactRequests, received: res['2xx'], rows };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const started = new Date();
  const commit = describeCheckout(root); // before anything else can change the checkout
  const redis = (await startRedis()) ?? (process.env.REDIS_URL ? { url: process.env.REDIS_URL, pid: null, shared: true } : null);
  const cleanup = [];
  if (redis?.stop) cleanup.push(redis.stop);
  const gh = (label, checkoutRoot, gateOff = false) =>
    startGatehouse({
      gateOff,
      label,
      root: checkoutRoot,
      serverUrl: process.env.DATABASE_URL,
      redis: redis && { url: redis.url, pid: redis.pid },
      rounds: o.rounds,
      connections: settings.connections,
      workers: o.workers,
    });
  const contenders = [{ name: 'raw sign loop', raw: true }];
  const refs = [];
  try {
    if (o.ab) {
      for (const ref of o.ab) {
        const built = buildRef(root, ref, log);
        cleanup.push(built.remove);
        refs.push(built);
      }
      for (const [i, b] of refs.entries()) {
        const c = await gh(`${'AB'[i]}: ${b.ref} (${b.sha})`, b.root);
        cleanup.push(c.stop);
        contenders.push(c);
      }
    } else {
      const bare = await bareSigner();
      cleanup.push(bare.stop);
      const peer = await peerProvider({ rounds: o.rounds, connections: settings.connections });
      cleanup.push(peer.stop);
      contenders.push(bare, peer);
      if (o.gateOff) {
        const off = await gh('Gatehouse, gate off', root, true);
        cleanup.push(off.stop);
        contenders.push(off);
      }
      const g = await gh('Gatehouse', root);
      cleanup.push(g.stop);
      contenders.push(g);
    }
    log(`${contenders.length} contenders, ${o.rounds} rounds of ${o.scenarios.join(', ')}, ${settings.seconds} s each`);
    const rounds = await runRounds(contenders, o);
    // Resident memory of each server right after its load (docs/performance.md#memory-and-startup).
    const memory = {};
    for (const c of contenders) if (c.roles) memory[c.name] = residentMemory((await c.roles()).server);
    const exact = {};
    for (const c of contenders) if (c.auditRows) exact[c.name] = await exactCount(c);
    const run = {
      started: started.toISOString(),
      commit,
      command: `${Object.entries(process.env)
        .filter(([k]) => k.startsWith('BENCH_'))
        .map(([k, v]) => `${k}=${v} `)
        .join('')}npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      settings,
      options: o,
      redis: redis ? (redis.shared ? 'REDIS_URL (shared)' : 'private redis-server') : 'none (in-process limiter)',
      database: process.env.DATABASE_URL ? 'fresh database on DATABASE_URL' : 'embedded PostgreSQL',
      contenders: contenders.map((c) => c.name),
      refs: refs.map((r) => ({ ref: r.ref, sha: r.sha })),
      rounds,
      exact,
      memory,
    };
    const md = report(run);
    process.stdout.write(`${md}\n`);
    if (o.json) writeFileSync(o.json, JSON.stringify(run, null, 2));
    if (o.doc) {
      // docs/performance.md#history: every figure of the run in bench/results, one line in the doc.
      const raw = `bench/results/${run.started.slice(0, 16).replace(/[-:]/g, '').replace('T', '-')}-${run.commit.slice(0, 7)}.json`;
      mkdirSync(join(root, 'bench/results'), { recursive: true });
      writeFileSync(join(root, raw), JSON.stringify(run, null, 2) + '\n');
      writeToDoc(join(root, 'docs/performance.md'), md, historyLine(run, md, raw));
      log(`wrote ${raw}; docs/performance.md: latest judged run and a history line`);
    }
    if (Object.values(exact).some((e) => e && !(e.sent === e.received && e.received === e.rows))) process.exitCode = 1;
  } finally {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch((err) => log(`cleanup: ${err.message}`));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
