// node bench/profile-summary.mjs <file.cpuprofile> [seconds] — where a V8 CPU profile's time
// went in its busiest `seconds` (10): the window with the fewest idle samples, which for a
// profile of `npm run bench` is the timed client-credentials run. By self time, idle left out: per package (node_modules/<pkg>), per Gatehouse source file (dist/…), per
// native/built-in frame (node:crypto's sign shows as `sign` in node:internal/crypto). Take
// one with BENCH_GATEHOUSE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" npm run bench -- --scenarios cc --rounds 1.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: node bench/profile-summary.mjs <file.cpuprofile>');
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const WINDOW_US = Number(process.argv[3] ?? 10) * 1e6;
const idleId = prof.nodes.find((n) => n.callFrame.functionName === '(idle)')?.id;
const dt = prof.timeDeltas;
const at = [];
for (let i = 0, t = 0; i < prof.samples.length; i++) at.push((t += dt[i] ?? 0));
// The window [at[lo], at[lo] + WINDOW_US) with the most busy time (two pointers).
let best = { lo: 0, hi: prof.samples.length, busy: -1 };
for (let lo = 0, hi = 0, busy = 0; lo < prof.samples.length; lo++) {
  while (hi < prof.samples.length && at[hi] < at[lo] + WINDOW_US) busy += prof.samples[hi] === idleId ? 0 : (dt[hi] ?? 0), hi++;
  if (busy > best.busy) best = { lo, hi, busy };
  busy -= prof.samples[lo] === idleId ? 0 : (dt[lo] ?? 0);
}
const self = new Map();
for (let i = best.lo; i < best.hi; i++) {
  if (prof.samples[i] === idleId) continue;
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
}

function group(cf) {
  const url = cf.url ?? '';
  const pkg = url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  if (pkg) return `pkg ${pkg[1]}`;
  const src = url.match(/dist\/(.+)\.js$/);
  if (src) return `src ${src[1]}`;
  if (url.startsWith('node:')) return `${url.replace(/^node:internal\//, 'node:')}`;
  return `(${cf.functionName || 'anonymous'})`;
}

const total = [...self.values()].reduce((a, b) => a + b, 0);
const groups = new Map();
const fns = new Map();
for (const [id, t] of self) {
  const cf = byId.get(id).callFrame;
  const g = group(cf);
  groups.set(g, (groups.get(g) ?? 0) + t);
  const f = `${cf.functionName || '(anonymous)'} ${g}:${cf.lineNumber + 1}`;
  fns.set(f, (fns.get(f) ?? 0) + t);
}
const pct = (t) => `${((t / total) * 100).toFixed(1).padStart(5)} %`;
console.log(`busiest ${WINDOW_US / 1e6} s window: the main thread was busy ${(total / 1e6).toFixed(2)} s of it (${((total / WINDOW_US) * 100).toFixed(0)} %); shares of that busy time:`);
console.log('\nby package / file (self time):');
for (const [g, t] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${pct(t)}  ${g}`);
console.log('\nby function (self time):');
for (const [f, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${pct(t)}  ${f}`);
