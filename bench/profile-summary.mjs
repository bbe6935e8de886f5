// node bench/profile-summary.mjs <file.cpuprofile> — where a V8 CPU profile's time went, by
// self time: per package (node_modules/<pkg>), per Gatehouse source file (dist/…), per
// native/built-in frame (node:crypto's sign shows as `sign` in node:internal/crypto). Take
// one with BENCH_GATEHOUSE_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR" npm run bench -- --scenarios cc --rounds 1.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: node bench/profile-summary.mjs <file.cpuprofile>');
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));

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
console.log(`total sampled ${(total / 1e6).toFixed(2)} s`);
console.log('\nby package / file (self time):');
for (const [g, t] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${pct(t)}  ${g}`);
console.log('\nby function (self time):');
for (const [f, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${pct(t)}  ${f}`);
