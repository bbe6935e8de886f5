// node bench/refresh-lock-probe.mjs — does the refresh_token grant serialize on the audit
// chain head? Starts one Gatehouse (as npm run bench does), runs the refresh grant at 1 and
// at BENCH_CONNECTIONS connections, and samples pg_stat_activity every 2 ms meanwhile: how many
// of the database's backends wait on a lock, and on which relation.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startGatehouse } from './lib/gatehouse-contender.mjs';
import { rotatingLoad, summarize } from './lib/load.mjs';
import { startRedis } from './lib/services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function probe(db, run) {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  let stop = false;
  const samples = { n: 0, active: 0, lockWaits: 0, onHead: 0 };
  const loop = (async () => {
    while (!stop) {
      const { rows } = await c.query(
        `SELECT a.state, a.wait_event_type, a.query ILIKE '%audit_events%' AS audit_insert
           FROM pg_stat_activity a WHERE a.datname = $1 AND a.pid <> pg_backend_pid()`,
        [db.name],
      );
      samples.n++;
      for (const r of rows) {
        if (r.state === 'active' || r.state === 'idle in transaction') samples.active++;
        if (r.wait_event_type === 'Lock') samples.lockWaits++;
        // A waiter on the chain head is blocked in its audit INSERT (the trigger's SELECT … FOR UPDATE).
        if (r.wait_event_type === 'Lock' && r.audit_insert) samples.onHead++;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const result = await run();
  stop = true;
  await loop;
  await c.end();
  return { ...result, perSample: { busy: samples.active / samples.n, lockWaits: samples.lockWaits / samples.n, onChainHead: samples.onHead / samples.n } };
}

const redis = await startRedis();
const gh = await startGatehouse({ label: 'Gatehouse', root, serverUrl: process.env.DATABASE_URL, redis, rounds: 2, connections: CONNECTIONS });
try {
  for (const [i, connections] of [1, CONNECTIONS].entries()) {
    const r = gh.scenarios.refresh(i);
    const out = await probe(gh.db, async () => summarize(await rotatingLoad({ ...r.opts, connections, duration: SECONDS }, { pool: r.pool, body: r.body })));
    console.log(
      `${connections} connection(s): ${Math.round(out.rps)} refresh/s, p50 ${out.p50} ms, p99 ${out.p99} ms, errors ${out.errors}; ` +
        `backends busy ${out.perSample.busy.toFixed(2)}, waiting on a lock ${out.perSample.lockWaits.toFixed(2)}, of them in an audit INSERT (the chain head) ${out.perSample.onChainHead.toFixed(2)} (mean per sample)`,
    );
  }
} finally {
  await gh.stop();
  await redis?.stop();
}
