import {
  auditEquality,
  auditVerify,
  driveTokens,
  sleep,
  startFaultWorld,
  type FaultWorld,
} from '../support/fault-harness';

jest.setTimeout(180_000);

/**
 * docs/reliability.md#worker-killed and #sigterm on a 2-worker Gatehouse under load: a
 * worker killed with SIGKILL is replaced and the audit equality holds; SIGTERM lets
 * in-flight requests finish, takes no new ones, every answered token has its row, and the
 * process exits 0 within the bound.
 */
describe('workers killed and SIGTERM under load (2 workers)', () => {
  let world: FaultWorld;
  const all = { received: new Set<string>(), unanswered: 0 };

  beforeAll(async () => {
    world = await startFaultWorld({ workers: 2 });
  });
  afterAll(() => world?.close());

  it('serves Prometheus metrics aggregated over the workers on their own port (docs/reliability.md#metrics)', async () => {
    const load = await driveTokens(world.gatehouse.url, world.app, {
      concurrency: 4,
      until: (() => {
        const end = Date.now() + 1500;
        return () => Date.now() > end;
      })(),
    });
    for (const j of load.received) all.received.add(j);
    const text = await (await fetch(`http://127.0.0.1:${world.env.GATEHOUSE_METRICS_PORT}/metrics`)).text();
    const issued = /gatehouse_token_requests_total\{grant="client_credentials",outcome="issued"\} (\d+)/.exec(text);
    expect(Number(issued?.[1])).toBeGreaterThanOrEqual(load.received.size);
    expect(text).toMatch(/gatehouse_http_request_duration_seconds_bucket\{.*route="\/oauth\/token"/);
    expect(text).toMatch(/gatehouse_audit_flush_batch_rows_count \d+/);
    expect(text).toMatch(/gatehouse_dependency_up\{dependency="postgres"\} 1/);
    // Control-layer decisions by reason; key ages and the time to the next rotation.
    expect(text).toMatch(/gatehouse_access_decisions_total\{point="issuance",outcome="allow",reason="none"\} [1-9]/);
    expect(text).toMatch(/gatehouse_signing_key_age_seconds\{state="current"\} \d+/);
    expect(text).toMatch(/gatehouse_signing_key_next_rotation_seconds -?\d+/);
    expect(text).toMatch(/gatehouse_dependency_up\{dependency="redis"\} 1/);
    // not on the API port
    expect((await fetch(`${world.gatehouse.url}/metrics`)).status).toBe(404);
  });

  it('replaces a worker killed with SIGKILL under load; audit equality holds', async () => {
    let done = false;
    const load = driveTokens(world.gatehouse.url, world.app, { concurrency: 8, until: () => done });
    await sleep(2000);
    const before = world.gatehouse.workers();
    expect(before).toHaveLength(2);
    const victim = before[0]!;
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    let replacedMs = -1;
    for (let i = 0; i < 100; i++) {
      await sleep(100);
      const now = world.gatehouse.workers();
      if (now.length === 2 && !now.includes(victim)) {
        replacedMs = Date.now() - killedAt;
        break;
      }
    }
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready =
        (await fetch(`${world.gatehouse.url}/readyz`).then(
          (r) => r.status,
          () => 0,
        )) === 200;
      if (!ready) await sleep(100);
    }
    await sleep(3000); // load on the replacement too
    done = true;
    const report = await load;
    for (const j of report.received) all.received.add(j);
    all.unanswered += report.unanswered;
    const eq = await auditEquality(world, { ...report, received: all.received });
    console.log(
      `[faults] worker SIGKILL: ${JSON.stringify({ requests: report.requests, statuses: report.statuses, replaced_ms: replacedMs, tokens_received: eq.received, audit_rows: eq.auditRows, received_without_row: eq.missingRows.length, rows_without_delivery: eq.unclaimed.length })}`,
    );
    expect(replacedMs).toBeGreaterThan(0);
    expect(ready).toBe(true);
    expect(report.statuses['500']).toBeUndefined();
    expect(eq.missingRows).toEqual([]);
    // Only requests in flight on the killed worker may have a row the client never saw.
    expect(eq.unclaimed.length).toBeLessThanOrEqual(all.unanswered);
    expect(await auditVerify(world)).toBe(0);
  });

  it('SIGTERM under load: in-flight requests finish, every answered token has its row, exit 0', async () => {
    let done = false;
    const load = driveTokens(world.gatehouse.url, world.app, { concurrency: 8, until: () => done });
    await sleep(2000);
    const termAt = Date.now();
    world.gatehouse.proc.kill('SIGTERM');
    const exit = await Promise.race([world.gatehouse.exited, sleep(20_000).then(() => null)]);
    const exitMs = Date.now() - termAt;
    done = true;
    const report = await load;
    for (const j of report.received) all.received.add(j);
    all.unanswered += report.unanswered;
    const eq = await auditEquality(world, { ...report, received: all.received });
    console.log(
      `[faults] SIGTERM: ${JSON.stringify({ requests: report.requests, statuses: report.statuses, exit, exit_ms: exitMs, tokens_received: eq.received, audit_rows: eq.auditRows, received_without_row: eq.missingRows.length, rows_without_delivery: eq.unclaimed.length })}`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(report.statuses['500']).toBeUndefined();
    expect(eq.missingRows).toEqual([]);
    expect(eq.unclaimed.length).toBeLessThanOrEqual(all.unanswered);
    expect(await auditVerify(world)).toBe(0);
  });
});
