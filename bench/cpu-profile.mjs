// node bench/cpu-profile.mjs [--out DIR] [--seconds S] — where the whole machine's CPU goes
// while Gatehouse issues client-credentials tokens: one round of `npm run bench -- --scenarios
// cc`, and during Gatehouse's timed run `perf record -a` (every CPU, kernel included, every
// thread of every process; software clock sampling, so it works where the machine has no
// hardware counters). Gatehouse runs with --perf-basic-prof-only-functions so its JIT frames
// have names. Prints per process and thread: µs of CPU per issued token; and for Gatehouse's
// main thread, its samples attributed to what they were doing (docs/performance.md#where-the-time-goes).
// Needs `perf` (Debian's linux-perf) and permission to record every CPU (root, or
// kernel.perf_event_paranoid ≤ 0). Takes about 2 minutes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = arg('--out', `/tmp/gatehouse-cpu-profile-${Date.now()}`);
const seconds = Number(arg('--seconds', 6));
const HZ = 499;
mkdirSync(out, { recursive: true });
if (spawnSync('perf', ['--version']).status !== 0) throw new Error('perf is not installed (apt-get install linux-perf)');

const root = join(import.meta.dirname, '..');
const log = join(out, 'bench.txt');
const bench = spawn(
  'sh',
  ['-c', `node bench/token-bench.mjs --scenarios cc --rounds 1 --no-gate-off --json ${out}/bench.json > ${log} 2>&1`],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      BENCH_SECONDS: String(seconds + 6),
      BENCH_EXACT_REQUESTS: '300',
      BENCH_GATEHOUSE_NODE_ARGS: '--perf-basic-prof-only-functions',
    },
  },
);
const benchDone = new Promise((resolve) => bench.once('exit', resolve));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const logText = () => {
  try {
    return readFileSync(log, 'utf8');
  } catch {
    return '';
  }
};
while (!/round 1\/1: Gatehouse$/m.test(logText())) {
  if (bench.exitCode !== null) throw new Error(`the bench ended first:\n${logText()}`);
  await sleep(200);
}
await sleep(4500); // the first round's 3 s warm-up, then into the timed run
const data = join(out, 'perf.data');
const rec = spawnSync('perf', ['record', '-a', '-g', '-F', String(HZ), '-o', data, '--', 'sleep', String(seconds)], {
  encoding: 'utf8',
});
if (rec.status !== 0) throw new Error(`perf record failed: ${rec.stderr}`);
await benchDone;
const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'));
const tokensPerSecond = findTokensPerSecond(report);

const script = spawnSync('perf', ['script', '-i', data, '-F', 'pid,tid,comm,ip,sym,dso'], {
  encoding: 'utf8',
  maxBuffer: 1 << 30,
});
writeFileSync(join(out, 'perf-script.txt'), script.stdout);
const samples = parse(script.stdout);
const gatehousePid = findGatehouse(samples);
const poolThreads = new Set(
  samples.filter((s) => s.pid === gatehousePid && s.frames.some((f) => /ThreadPoolWork|\bworker \(/.test(f))).map((s) => s.tid),
);
const byThread = new Map();
for (const s of samples) {
  const key = `${s.pid}/${s.tid}`;
  byThread.set(key, (byThread.get(key) ?? 0) + 1);
}
const usPerToken = (n) => ((n / HZ) * 1e6) / (tokensPerSecond * seconds);
const name = (pid, tid) => {
  const comm = samples.find((s) => s.pid === pid && s.tid === tid)?.comm ?? '?';
  if (pid === 0) return 'idle';
  if (pid === gatehousePid) {
    if (tid === pid) return 'Gatehouse, main thread';
    return poolThreads.has(tid) ? 'Gatehouse, libuv thread pool (signing)' : 'Gatehouse, V8 and other threads';
  }
  // The other contenders are idle during Gatehouse's run: another node is the bench itself.
  if (comm === 'node') return 'the bench (autocannon, the load)';
  return `${comm} (pid ${pid})`;
};
const rows = new Map();
for (const [key, n] of byThread) {
  const [pid, tid] = key.split('/').map(Number);
  let label = name(pid, tid);
  if (label.startsWith('postgres')) label = 'PostgreSQL backends';
  else if (label.startsWith('redis-server')) label = `Redis (${label})`;
  rows.set(label, (rows.get(label) ?? 0) + n);
}
const lines = [
  `${samples.length} samples at ${HZ} Hz over ${seconds} s on ${cpuCount()} CPUs; Gatehouse issued ${Math.round(tokensPerSecond)} tokens/s`,
  '',
  '| process / thread | share of the machine | CPU µs per token |',
  '|---|---|---|',
  ...[...rows]
    .sort((a, b) => b[1] - a[1])
    .filter(([, n]) => n / samples.length >= 0.003)
    .map(([label, n]) => `| ${label} | ${pct(n / samples.length)} | ${label === 'idle' ? '—' : usPerToken(n).toFixed(0)} |`),
  '',
  "Gatehouse's main thread, each sample attributed to the innermost frame that names one of these:",
  '',
  '| what | share of the main thread | µs per token |',
  '|---|---|---|',
  ...attribute(samples.filter((s) => s.pid === gatehousePid && s.tid === gatehousePid)).map(
    ([what, n, total]) => `| ${what} | ${pct(n / total)} | ${usPerToken(n).toFixed(0)} |`,
  ),
];
writeFileSync(join(out, 'profile.md'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
console.log(`\n(perf data, its script and the bench's report are in ${out})`);

function parse(text) {
  const list = [];
  let cur = null;
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      if (cur) list.push(cur);
      cur = null;
      continue;
    }
    if (!/^\s/.test(line)) {
      // "comm pid/tid" — comm may contain spaces
      const m = line.match(/^(.*?)\s+(\d+)\/(\d+)\s*$/);
      cur = m ? { comm: m[1].trim(), pid: Number(m[2]), tid: Number(m[3]), frames: [] } : null;
      continue;
    }
    cur?.frames.push(line.trim());
  }
  if (cur) list.push(cur);
  return list;
}

function findGatehouse(list) {
  const pids = new Set(
    list.filter((s) => s.frames.some((f) => f.includes('dist/libs/') || f.includes('dist/apps/'))).map((s) => s.pid),
  );
  if (pids.size !== 1) throw new Error(`expected one Gatehouse process in the samples, found ${[...pids]}`);
  return [...pids][0];
}

function findTokensPerSecond(r) {
  const rps = r.rounds?.[0]?.Gatehouse?.cc?.rps;
  if (!rps) throw new Error('no Gatehouse tokens/s in the bench report');
  return rps;
}

function cpuCount() {
  return readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm).length;
}

function pct(x) {
  return `${(100 * x).toFixed(1)} %`;
}

/** [what, samples, total]: kernel samples by system call, user samples by the code they ran. */
function attribute(list) {
  const kernel = [
    ['kernel: socket writes (HTTP answers, PostgreSQL and Redis commands; on loopback they also run the receiving side)', /sys_write|sys_sendto|sys_sendmsg|DoTryWrite|DoWrite/],
    ['kernel: waking the thread pool (futex)', /sys_futex/],
    ['kernel: socket reads', /sys_read|sys_recv/],
    ['kernel: epoll', /sys_epoll/],
    ['kernel: other', /./],
  ];
  const user = [
    ['garbage collection', /Scavenge|MarkCompact|Heap::|GCTracer|Sweeper/],
    ['node-postgres (the audit INSERT, the cache sync)', /node_modules\/pg/],
    ['ioredis and the limiter', /node_modules\/ioredis|ratelimit\/src/],
    ['logging (pino, redaction)', /node_modules\/pino|pinojs/],
    ['metrics (prom-client)', /prom-client|metrics\/metrics/],
    ['Nest adapter hooks, middie', /middie|platform-fastify|gatehouse\/src\/bootstrap/],
    ['Fastify', /node_modules\/fastify|find-my-way|fast-json/],
    ['the audit row (build, redact)', /libs\/audit/],
    ['the token (claims, JSON, base64url)', /libs\/tokens\/src\/access-token/],
    ['client authentication (keyed hash, client cache)', /client-authenticator|client-cache|invalidating-cache|crypto\/hash|Hmac/],
    ['handing the signature to the thread pool', /crypto\/sig|SignJob|CryptoJob/],
    ['other Gatehouse code (gate, issuer, endpoint)', /\/dist\/(libs|apps)\//],
    ['node:http', /_http_|internal\/http|llhttp/],
    ['AsyncLocalStorage and async hooks', /async_hooks|async_local/],
    ['streams and sockets (JS side)', /internal\/streams|node:net|stream_base/],
    ['promises and microtasks', /Promise|Microtask|task_queues|AsyncFunction|Generator/],
    ['other (V8, libuv, node)', /./],
  ];
  const counts = new Map();
  for (const s of list) {
    const stack = s.frames.join('\n');
    const table = s.frames[0]?.includes('[kernel.kallsyms]') ? kernel : user;
    const [what] = table.find(([, rx]) => rx.test(stack));
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([w, n]) => [w, n, list.length]);
}
