import {
  auditEquality,
  auditVerify,
  driveTokens,
  sleep,
  startFaultWorld,
  type FaultWorld,
} from '../support/fault-harness';

jest.setTimeout(240_000);

const STOP_S = Number(process.env.FAULT_PG_STOP_S ?? 20);
const HANG_S = Number(process.env.FAULT_PG_HANG_S ?? 15);
/** Connect bound (2 s) + statement bound (5 s) + the circuit probe's interval, with room for a loaded machine. */
const RECOVERY_BOUND_MS = 15_000;

/**
 * docs/reliability.md#postgresql-down and #postgresql-hung, on a 2-worker Gatehouse under
 * load: while PostgreSQL is stopped (immediate shutdown) or frozen (SIGSTOP), every answer
 * is 503 with Retry-After within the bound (no 500, no hang); Gatehouse recovers by itself;
 * afterwards every token a client received has its audit row, no row claims a token that
 * was never sent (beyond requests the client did not wait for) and `gatehouse audit verify`
 * passes.
 */
describe('PostgreSQL stopped and hung under load (2 workers)', () => {
  let world: FaultWorld;
  /** Across the tests: every token received and every request not waited for. */
  const all = { received: new Set<string>(), unanswered: 0 };

  beforeAll(async () => {
    const t = Date.now();
    world = await startFaultWorld({ workers: 2 });
    console.log(`[faults] world started in ${Date.now() - t} ms`);
  });
  afterAll(async () => {
    const t = Date.now();
    await world?.close();
    console.log(`[faults] world stopped in ${Date.now() - t} ms`);
  });

  async function outage(kind: 'stopped' | 'hung', seconds: number) {
    let phase: 'before' | 'down' | 'after' = 'before';
    let done = false;
    let downAt = 0;
    let upAt = 0;
    const load = driveTokens(world.gatehouse.url, world.app, { concurrency: 8, until: () => done, boundMs: 10_000 });
    await sleep(2000);
    phase = 'down';
    downAt = Date.now();
    if (kind === 'stopped') await world.pg.stopImmediate();
    else world.pg.hang();
    await sleep(seconds * 1000);
    if (kind === 'stopped') await world.pg.start();
    else world.pg.resume();
    upAt = Date.now();
    phase = 'after';
    // Run on until it serves again, and a little more.
    for (let i = 0; i < 120; i++) {
      await sleep(250);
      if (
        (await fetch(`${world.gatehouse.url}/readyz`).then(
          (r) => r.status,
          () => 0,
        )) === 200
      )
        break;
    }
    await sleep(2000);
    done = true;
    const report = await load;
    const firstOkAfter = report.okTimes.filter((t) => t >= upAt).sort((a, b) => a - b)[0];
    const recoveryMs = firstOkAfter ? firstOkAfter - upAt : -1;
    for (const j of report.received) all.received.add(j);
    all.unanswered += report.unanswered;
    const eq = await auditEquality(world, { ...report, received: all.received });
    const figures = {
      kind,
      outage_s: seconds,
      phase,
      requests: report.requests,
      statuses: report.statuses,
      recovery_ms: recoveryMs,
      tokens_received: eq.received,
      audit_rows: eq.auditRows,
      received_without_row: eq.missingRows.length,
      rows_without_delivery: eq.unclaimed.length,
      rows_revoked_as_undelivered: eq.revokedUndelivered,
      down_for_ms: upAt - downAt,
    };
    console.log(`[faults] PostgreSQL ${kind}: ${JSON.stringify(figures)}`);
    return { report, eq, recoveryMs };
  }

  it.each([
    [`stopped (immediate) for ${STOP_S} s: 503 + Retry-After meanwhile`, 'stopped', STOP_S],
    [`hung (SIGSTOP) for ${HANG_S} s: 503 + Retry-After within the bound`, 'hung', HANG_S],
  ] as const)('%s, recovery, audit equality', async (_title, kind, seconds) => {
    const { report, eq, recoveryMs } = await outage(kind, seconds);
    expect(report.statuses['500']).toBeUndefined();
    expect(report.badOutage).toBe(0);
    expect(report.statuses['503']).toBeGreaterThan(0);
    expect(report.unanswered).toBe(0);
    // docs/reliability.md#postgresql-down: tokens again within RECOVERY_BOUND_MS of PostgreSQL
    // answering (-1 would mean no token was served after it came back).
    expect(recoveryMs).toBeGreaterThanOrEqual(0);
    expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(eq.missingRows).toEqual([]);
    expect(eq.unclaimed.length).toBeLessThanOrEqual(all.unanswered);
    expect(await auditVerify(world)).toBe(0);
  });

  it('logged the outages once per failure kind and interval, with error codes and without stacks', () => {
    const lines = world.gatehouse.logs.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { raw: l };
      }
    });
    const outage = lines.filter((l) => l.event === 'database_unavailable');
    console.log(`[faults] PostgreSQL outage log: ${lines.length} lines in all, ${outage.length} database_unavailable`);
    expect(outage.length).toBeGreaterThan(0);
    expect(outage.every((l) => typeof l.error_code === 'string' && l.error_code !== '[redacted]')).toBe(true);
    expect(lines.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);
  });
});
