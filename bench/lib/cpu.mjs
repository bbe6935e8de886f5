// CPU per request by process, from /proc (Linux): utime + stime of each process with a role
// (the server under load, its PostgreSQL backends, Redis), sampled around a run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const HAS_PROC = existsSync('/proc/self/stat');

function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    return { comm, ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / 100 };
  } catch {
    return null; // exited meanwhile
  }
}

/** `pid` and every process below it (a server's workers, embedded PostgreSQL). */
export function processTree(pid) {
  if (!HAS_PROC) return [];
  const children = new Map();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const st = stat(p);
    if (!st) continue;
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push(Number(p));
  }
  const out = [];
  const walk = (p) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** The process's name as the kernel has it (`postgres`, `redis-server`, `node`). */
export function commOf(pid) {
  return stat(pid)?.comm ?? null;
}

/** CPU seconds so far of each pid of each role: `{ role: Map(pid → seconds) }`. */
export function sample(roles) {
  if (!HAS_PROC) return null;
  const out = {};
  for (const [role, pids] of Object.entries(roles)) {
    const m = new Map();
    for (const pid of pids) {
      const st = stat(pid);
      if (st) m.set(pid, st.seconds);
    }
    out[role] = m;
  }
  return out;
}

/**
 * Microseconds of CPU per request by role between two samples. A process that started
 * meanwhile counts whole; one that exited meanwhile drops out of both sides.
 */
export function perRequest(before, after, requests) {
  if (!before || !after || !requests) return null;
  const out = {};
  for (const [role, m] of Object.entries(after)) {
    let s = 0;
    for (const [pid, seconds] of m) s += seconds - (before[role]?.get(pid) ?? 0);
    out[role] = (s / requests) * 1e6;
  }
  return out;
}

/**
 * Resident memory (VmRSS, MB) of a contender's server processes: `[{ pid, role, rss_mb }]`,
 * the first pid of `pids` being the process the bench started (with several workers, the
 * cluster primary; its children are the workers).
 */
export function residentMemory(pids) {
  if (!HAS_PROC) return null;
  const out = [];
  for (const [i, pid] of pids.entries()) {
    try {
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (!kb) continue; // a kernel thread or gone
      out.push({ pid, role: i === 0 ? (pids.length > 1 ? 'primary' : 'process') : 'worker', rss_mb: Math.round(kb / 102.4) / 10 });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
