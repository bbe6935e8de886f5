// The Markdown report of `npm run bench`: per-round figures, medians, same-round ratios,
// CPU per request by process against the raw signature's CPU, latency and errors, the other
// endpoints beside their client-credentials ratio, the audit counts, and the targets of
// docs/performance.md#targets.
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { median } from './load.mjs';

const RAW = 'raw sign loop';
const ENDPOINTS = {
  dpop: 'DPoP-bound client credentials',
  code: 'code redemption (access + ID token)',
  userinfo: 'userinfo',
  signin: 'hosted sign-in round trip (round trips/s)',
  refresh: 'refresh_token grant', introspect: 'introspection', jwks: 'JWKS', exchange: 'token exchange', evaluation: 'AuthZEN evaluation (decisions/s)' };
const GATE_OFF = 'Gatehouse, gate off';

const int = (x) => (x === null || x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const ratio = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(2));
const ms = (x) => (x === null || x === undefined ? '—' : `${x} ms`);
const span = (xs, f) => {
  const v = xs.filter((x) => x !== null && x !== undefined);
  if (v.length === 0) return '—';
  const lo = f(Math.min(...v));
  const hi = f(Math.max(...v));
  return lo === hi ? lo : `${lo}–${hi}`;
};
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function cpuTotal(cpu) {
  return cpu ? (cpu.server ?? 0) + (cpu.postgres ?? 0) + (cpu.redis ?? 0) : null;
}

export function report(run) {
  const { rounds } = run;
  const names = run.contenders.filter((n) => n !== RAW);
  const subject = names[names.length - 1]; // Gatehouse, or B in an A/B run
  const others = names.slice(0, -1);
  const cc = (r, n) => r[n]?.cc ?? null;
  const rawRate = (r) => r[RAW]?.raw.rate ?? null;
  const rawCpu = (r) => r[RAW]?.raw.cpuPerSignUs ?? null;
  const out = [];

  out.push(`### ${run.started.slice(0, 16).replace('T', ' ')} UTC — ${run.refs.length ? `A/B ${run.refs.map((r) => `${r.ref} (${r.sha})`).join(' vs ')}` : `commit ${run.commit}`}`);
  out.push('');
  out.push('```sh');
  out.push(run.command);
  out.push('```');
  out.push('');
  out.push(
    `${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end; Node ${process.version}; ` +
      `${run.options.rounds} rounds, ${run.settings.seconds} s a run, ${run.settings.connections} connections, ` +
      `Gatehouse on ${run.options.workers} worker(s), ${run.database}, Redis: ${run.redis}; commit ${run.commit}.`,
  );
  out.push('');

  // Client credentials, per round.
  const ratioCols = [...others.map((n) => `${short(subject)} ÷ ${short(n)}`), `${short(subject)} ÷ raw`];
  const ccRows = rounds.map((r, i) => [
    String(i + 1),
    int(rawRate(r)),
    ...names.map((n) => int(cc(r, n)?.rps)),
    ...others.map((n) => ratio(cc(r, subject)?.rps / cc(r, n)?.rps)),
    ratio(cc(r, subject)?.rps / rawRate(r)),
  ]);
  const medRow = [
    '**median**',
    int(median(rounds.map(rawRate))),
    ...names.map((n) => int(median(rounds.map((r) => cc(r, n)?.rps)))),
    ...others.map((n) => ratio(median(rounds.map((r) => cc(r, subject)?.rps / cc(r, n)?.rps)))),
    ratio(median(rounds.map((r) => cc(r, subject)?.rps / rawRate(r)))),
  ];
  out.push('Client credentials, tokens/s (raw: signatures/s on one core); ratios within each round:');
  out.push('');
  out.push(table(['round', 'raw', ...names, ...ratioCols], [...ccRows, medRow]));
  out.push('');

  // CPU per token by process.
  const cpuRows = names.map((n) => {
    const per = rounds.map((r) => cc(r, n)?.cpu).filter(Boolean);
    const role = (k) => median(per.map((c) => c[k]));
    const totals = rounds.map((r) => cpuTotal(cc(r, n)?.cpu));
    const rel = rounds.map((r) => cpuTotal(cc(r, n)?.cpu) / rawCpu(r));
    return [n, int(role('server')), int(role('postgres')), int(role('redis')), int(median(totals)), `${ratio(median(rel))} (${span(rel, ratio)})`];
  });
  out.push(`CPU per token (µs, median of rounds; from /proc): the raw signature costs ${int(median(rounds.map(rawCpu)))} µs (${span(rounds.map(rawCpu), int)}).`);
  out.push('');
  out.push(table(['contender', 'server', 'PostgreSQL', 'Redis', 'total', 'total ÷ raw signature (range)'], cpuRows));
  out.push('');
  for (const n of others) {
    const rel = rounds.map((r) => cpuTotal(cc(r, subject)?.cpu) / cpuTotal(cc(r, n)?.cpu));
    if (rel.every((x) => !Number.isFinite(x))) continue;
    out.push(`Total CPU per token, ${short(subject)} ÷ ${short(n)} within each round: ${rel.map(ratio).join(', ')}; median **${ratio(median(rel))}**.`);
  }
  out.push('');

  // Latency and errors.
  out.push(`Client credentials at ${run.settings.connections} connections:`);
  out.push('');
  out.push(
    table(
      ['contender', 'p50 (median)', 'p99 (median; range)', 'errors + non-2xx (all rounds)'],
      names.map((n) => {
        const runs = rounds.map((r) => cc(r, n)).filter(Boolean);
        return [n, ms(median(runs.map((x) => x.p50))), `${ms(median(runs.map((x) => x.p99)))}; ${span(runs.map((x) => x.p99), ms)}`, String(runs.reduce((a, x) => a + x.errors, 0))];
      }),
    ),
  );
  out.push('');

  // Other endpoints.
  const eps = Object.keys(ENDPOINTS).filter((e) => run.options.scenarios.includes(e));
  if (eps.length) {
    // The gate-off contender runs client credentials only.
    const epNames = names.filter((n) => n !== GATE_OFF);
    const epOthers = others.filter((n) => n !== GATE_OFF);
    const epRows = eps.map((e) => {
      const cells = [ENDPOINTS[e]];
      for (const n of epNames) {
        const rps = rounds.map((r) => r[n]?.[e]?.rps ?? null);
        const rel = rounds.map((r) => (r[n]?.[e] ? r[n][e].rps / cc(r, n).rps : null));
        cells.push(rps.some((x) => x !== null) ? `${int(median(rps))} (${ratio(median(rel))} × cc)` : 'no endpoint');
      }
      const vs = epOthers.map((n) => ratio(median(rounds.map((r) => (r[subject]?.[e] && r[n]?.[e] ? r[subject][e].rps / r[n][e].rps : null)))));
      const errors = epNames.map((n) => rounds.reduce((a, r) => a + (r[n]?.[e]?.errors ?? 0), 0));
      return [...cells, ...vs, errors.join(' / ')];
    });
    out.push('Other endpoints, requests/s (median of rounds), with each one\'s ratio to its own client-credentials rate in the same round:');
    out.push('');
    out.push(table(['endpoint', ...epNames, ...epOthers.map((n) => `${short(subject)} ÷ ${short(n)}`), `errors (${epNames.map(short).join(' / ')})`], epRows));
    out.push('');
  }

  // Decisions: throughput and latency at saturation, and latency at a fixed rate.
  const dec = decisions(run, subject);
  if (dec) {
    out.push(`AuthZEN \`POST /access/v1/evaluation\` (an app asks about one of its org's users; every decision an allow through the control layer):`);
    out.push('');
    out.push(
      table(
        ['load', 'decisions/s (median; range)', 'p50 (median)', 'p99 (median; range)', 'errors + non-2xx'],
        [
          dec.saturated && [`${run.settings.connections} connections, as fast as answered`, `${int(dec.saturated.rps)}; ${span(dec.saturated.rpsAll, int)}`, ms(dec.saturated.p50), `${ms(dec.saturated.p99)}; ${span(dec.saturated.p99All, ms)}`, String(dec.saturated.errors)],
          dec.paced && [`${run.settings.connections} connections sharing ${int(dec.paced.rate)}/s`, `${int(dec.paced.rps)}; ${span(dec.paced.rpsAll, int)}`, ms(dec.paced.p50), `${ms(dec.paced.p99)}; ${span(dec.paced.p99All, ms)}`, String(dec.paced.errors)],
        ].filter(Boolean),
      ),
    );
    out.push('');
    out.push('At saturation a decision\'s latency is queueing (connections ÷ decisions/s); autocannon keeps whole milliseconds. The fixed-rate run times each decision to the microsecond.');
    out.push('');
  }

  // Audit.
  const auditLines = [];
  for (const [n, e] of Object.entries(run.exact)) {
    if (!e) continue;
    const same = e.sent === e.received && e.received === e.rows;
    auditLines.push(`- ${n}, exact count: ${e.sent} requests sent, ${e.received} tokens received, ${e.rows} token.issued rows — ${same ? 'equal' : '**NOT EQUAL**'}`);
  }
  for (const n of names) {
    const fl = rounds.map((r) => cc(r, n)?.audit).filter((a) => a && a.flushes);
    if (fl.length) auditLines.push(`- ${n}, audit group commit under load: ${span(fl.map((a) => a.rows / a.flushes), (x) => x.toFixed(1))} rows per flush (transactions of token.issued rows in the timed runs)`);
  }
  if (auditLines.length) out.push(auditLines.join('\n'), '');

  const memRows = Object.entries(run.memory ?? {}).flatMap(([n, procs]) => (procs ?? []).map((p) => [n, p.role, `${p.rss_mb.toFixed(1)} MB`]));
  if (memRows.length) {
    out.push('Resident memory (VmRSS) of each server right after its rounds:');
    out.push('');
    out.push(table(['contender', 'process', 'RSS'], memRows));
    out.push('');
  }

  if (!run.refs.length) out.push(targets(run, subject), '');
  return out.join('\n');
}

function short(name) {
  if (name.startsWith('bare')) return 'bare';
  if (name.startsWith('node-oidc')) return 'peer';
  return name.split(':')[0];
}

/** The evaluation scenarios of the subject, summarized over the rounds. */
function decisions(run, subject) {
  const sum = (key) => {
    const runs = run.rounds.map((r) => r[subject]?.[key]).filter(Boolean);
    if (!runs.length) return null;
    return {
      rps: median(runs.map((x) => x.rps)),
      rpsAll: runs.map((x) => x.rps),
      p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)),
      p99All: runs.map((x) => x.p99),
      errors: runs.reduce((a, x) => a + x.errors, 0),
      rate: Number(process.env.BENCH_DECISION_RATE ?? 1000),
    };
  };
  const saturated = sum('evaluation');
  const paced = sum('evaluation-paced');
  return saturated || paced ? { saturated, paced } : null;
}

/**
 * A hosted sign-in round trip's CPU (server + PostgreSQL + Redis, median of the rounds) and
 * the share of it one bcrypt comparison at the users' cost factor takes.
 */
function signInCost(run, subject) {
  const runs = run.rounds.map((r) => r[subject]?.signin).filter((x) => x && x.requests > 0);
  if (!runs.length) return null;
  const totalUs = median(runs.map((x) => cpuTotal(x.cpu)));
  const bcryptUs = median(runs.map((x) => x.bcryptUs));
  const cost = runs.find((x) => x.bcryptCost)?.bcryptCost ?? '?';
  return { totalUs, bcryptUs, cost, share: bcryptUs / totalUs, rps: median(runs.map((x) => x.rps)) };
}

/** The targets (docs/performance.md#targets), judged on this run's medians. */
function targets(run, subject) {
  const { rounds } = run;
  const g = (r) => r[subject]?.cc;
  const byName = (prefix) => run.contenders.find((n) => n.startsWith(prefix));
  const peer = byName('node-oidc');
  const vsPeer = median(rounds.map((r) => g(r)?.rps / r[peer]?.cc?.rps));
  const cpu = median(rounds.map((r) => cpuTotal(g(r)?.cpu) / r[RAW]?.raw.cpuPerSignUs));
  const p99 = median(rounds.map((r) => g(r)?.p99));
  const errors = rounds.reduce((a, r) => a + (g(r)?.errors ?? 0), 0);
  const exact = run.exact[subject];
  const row = (what, value, met) => [what, value, met ? 'met' : '**missed**'];
  const off = run.contenders.includes(GATE_OFF) ? GATE_OFF : null;
  const gateCpu = off ? median(rounds.map((r) => cpuTotal(g(r)?.cpu) / cpuTotal(r[off]?.cc?.cpu))) : null;
  const dec = decisions(run, subject);
  const decP99 = dec?.paced?.p99 ?? null;
  const dpopVsCc = run.options.scenarios.includes('dpop') ? median(rounds.map((r) => (r[subject]?.dpop ? r[subject].dpop.rps / g(r)?.rps : null))) : null;
  // The browser side: each beside client credentials in the same round (docs/performance.md#targets).
  const vsCc = (e) => (run.options.scenarios.includes(e) ? median(rounds.map((r) => (r[subject]?.[e] ? r[subject][e].rps / g(r)?.rps : null))) : null);
  const codeVsCc = vsCc('code');
  const userinfoVsCc = vsCc('userinfo');
  const signin = signInCost(run, subject);
  const issue12 = [
    off && row('the access gate adds ≤ 5 % CPU per token (Gatehouse ÷ gate off)', `${ratio(gateCpu)} ×`, gateCpu !== null && gateCpu <= 1.05),
    dec?.paced && row(`decision p99 < 2 ms (evaluation at ${int(dec.paced.rate)}/s)`, ms(decP99), decP99 !== null && decP99 < 2),
    dpopVsCc !== null && row('DPoP-bound client credentials/s ≥ 0.8 × plain ones (same round)', `${ratio(dpopVsCc)} ×`, dpopVsCc >= 0.8),
    codeVsCc !== null && row('code redemptions/s (access + ID token: two signatures) ≥ 0.45 × client credentials (same round)', `${ratio(codeVsCc)} ×`, codeVsCc >= 0.45),
    userinfoVsCc !== null && row('userinfo calls/s ≥ 1.0 × client credentials (same round; no signature to make)', `${ratio(userinfoVsCc)} ×`, userinfoVsCc >= 1.0),
    signin &&
      row(
        `hosted sign-in round trip: bcrypt (cost ${signin.cost}) ≥ half its CPU (${int(signin.rps)} round trips/s)`,
        `bcrypt ${int(signin.bcryptUs)} µs of ${int(signin.totalUs)} µs: ${Math.round(signin.share * 100)} %`,
        signin.share >= 0.5,
      ),
  ].filter(Boolean);
  // The memory targets (docs/performance.md#targets): every worker after the load, and a cluster primary.
  const mem = run.memory?.[subject] ?? null;
  const workersRss = mem ? mem.filter((p) => p.role !== 'primary').map((p) => p.rss_mb) : [];
  const primaryRss = mem?.find((p) => p.role === 'primary')?.rss_mb ?? null;
  const peerRss = peer && run.memory?.[peer] ? run.memory[peer].reduce((a, p) => a + p.rss_mb, 0) : null;
  const worst = workersRss.length ? Math.max(...workersRss) : null;
  const mb = (x) => (x === null ? '—' : `${x.toFixed(1)} MB`);
  const notHere = (what, where) => [what, where, 'not measured here'];
  return table(
    ['target (medians of the rounds)', 'this run', ''],
    [
      ...issue12,
      row('client-credentials tokens/s ≥ 1.0 × node-oidc-provider', `${ratio(vsPeer)} ×`, vsPeer >= 1.0),
      row('(Gatehouse + PostgreSQL + Redis) CPU per token ≤ 1.9 × the raw signature', `${ratio(cpu)} ×`, cpu !== null && cpu <= 1.9),
      row(`p99 ≤ 30 ms at ${run.settings.connections} connections`, ms(p99), p99 !== null && p99 <= 30),
      row('zero errors', String(errors), errors === 0),
      row('exact audit count equal', exact ? `${exact.sent} / ${exact.received} / ${exact.rows}` : '—', exact && exact.sent === exact.received && exact.received === exact.rows),
      mem && row(`resident memory per worker ≤ 128 MB after the load (node-oidc-provider: ${mb(peerRss)})`, workersRss.map((x) => mb(x)).join(', ') || '—', worst !== null && worst <= 128),
      mem && (primaryRss === null ? ['the primary ≤ 64 MB', '— (one worker: no primary)', 'not measured here'] : row('the primary ≤ 64 MB', mb(primaryRss), primaryRss <= 64)),
      notHere('startup to ready ≤ 3 s per worker on a warm database', '`npm run bench:memory`'),
    ].filter(Boolean),
  );
}

export const LATEST_START = '<!-- bench:latest -->';
export const LATEST_END = '<!-- /bench:latest -->';
export const HISTORY_MARKER = '<!-- bench:history — `npm run bench -- --doc` inserts a line below this one -->';

/** The value of one row of the report's targets table ("—" when the run did not measure it). */
function target(md, label) {
  const line = md.split('\n').find((l) => l.startsWith(`| ${label}`));
  return line ? line.split('|')[2].trim() : '—';
}

/**
 * One line of docs/performance.md#history for a run: its medians against the targets, read
 * from the report's own targets table so the two never disagree.
 */
export function historyLine(run, md, rawPath) {
  const commit = run.commit.replace(/^([0-9a-f]{7})[0-9a-f]*/, '$1').replace('+uncommitted changes', '+');
  const load = /load average ([\d.]+)/.exec(md)?.[1] ?? '—';
  return `| ${run.started.slice(0, 16).replace('T', ' ')} | ${commit} | ${load} | ${[
    'client-credentials tokens/s ≥ 1.0 × node-oidc-provider',
    'tokens/s ≥ 0.85 × the bare signer',
    '(Gatehouse + PostgreSQL + Redis) CPU per token',
    'p99 ≤ 30 ms',
    'the access gate adds',
    'decision p99 < 2 ms',
    'exact audit count',
  ]
    .map((label) => target(md, label))
    .join(' | ')} | [json](../${rawPath}) |`;
}

/**
 * docs/performance.md keeps one run in full (the latest judged run) and one line per run
 * (the history): the run's Markdown replaces the latest, and its line goes on top of the history.
 */
export function writeToDoc(path, md, line) {
  let doc = readFileSync(path, 'utf8');
  const from = doc.indexOf(LATEST_START);
  const to = doc.indexOf(LATEST_END);
  const at = doc.indexOf(HISTORY_MARKER);
  if (from < 0 || to < from || at < 0) throw new Error(`${path} lacks the bench markers (${LATEST_START}, ${LATEST_END}, history)`);
  doc = `${doc.slice(0, from + LATEST_START.length)}\n\n${md.trim()}\n\n${doc.slice(to)}`;
  const h = doc.indexOf(HISTORY_MARKER) + HISTORY_MARKER.length;
  writeFileSync(path, `${doc.slice(0, h)}\n${line}${doc.slice(h)}`);
}
