import {
  cliCreateAdmin,
  loginAdmin,
  runGatehouseCli,
  startGatehouse,
  type ApiResponse,
  type TestGatehouse,
} from './support/gatehouse';

/** GET /v1/audit, `gatehouse audit export` and the tamper-evident hash chain. */
describe('audit log: query, export, hash chain', () => {
  let gh: TestGatehouse;
  let platform: string;
  let acmeAdmin: string;
  let acme: { id: string };
  let globex: { id: string };
  type App = { id: string; client_id: string; client_secret: string };
  let acmeApp: App;
  let globexApp: App;
  const started = new Date(Date.now() - 1000);

  const token = (app: App) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.client_id,
        client_secret: app.client_secret,
      }).toString(),
    }).then(async (r) => (await r.json()) as { access_token: string });
  const audit = (bearer: string, query: Record<string, string> = {}): Promise<ApiResponse> =>
    gh.api('GET', `/v1/audit?${new URLSearchParams(query).toString()}`, { token: bearer });

  beforeAll(async () => {
    gh = await startGatehouse();
    platform = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    acme = (await gh.api('POST', '/v1/orgs', { token: platform, body: { name: 'acme', display_name: 'Acme' } })).body;
    globex = (await gh.api('POST', '/v1/orgs', { token: platform, body: { name: 'globex', display_name: 'G' } })).body;
    const mk = async (orgId: string) =>
      (await gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: platform, body: { name: 'svc', scopes: ['x'] } }))
        .body as App;
    acmeApp = await mk(acme.id);
    globexApp = await mk(globex.id);
    for (let i = 0; i < 3; i++) await token(acmeApp);
    await token(globexApp);
    acmeAdmin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: false, orgIds: [acme.id] }))).access_token;
  });
  afterAll(() => gh?.close());

  it('filters by action, actor, org, outcome and time, and pages by cursor without loss', async () => {
    const issued = await audit(platform, { action: 'token.issued', actor: acmeApp.id });
    expect(issued.status).toBe(200);
    expect(issued.body.data).toHaveLength(3);
    for (const e of issued.body.data) {
      expect(e).toMatchObject({
        action: 'token.issued',
        outcome: 'success',
        actor: { id: acmeApp.id, tier: 'app' },
        org_id: acme.id,
      });
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e.jti).toEqual(expect.any(String));
    }
    expect((await audit(platform, { org: globex.id, action: 'token.issued' })).body.data).toHaveLength(1);
    expect((await audit(platform, { target: acmeApp.id, action: 'app.created' })).body.data).toHaveLength(1);
    const failures = (await audit(platform, { outcome: 'failure' })).body.data as { outcome: string }[];
    expect(failures.every((e) => e.outcome === 'failure')).toBe(true);
    expect((await audit(platform, { until: started.toISOString() })).body.data).toEqual([]);
    expect((await audit(platform, { since: new Date(Date.now() + 60_000).toISOString() })).body.data).toEqual([]);

    // Walk everything two at a time: every row once, in chain order, same set as the table.
    const seen: { id: string; position: number }[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await audit(platform, { limit: '2', ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    const all = await gh.sql<{ id: string }>('SELECT id FROM audit_events ORDER BY chain_seq');
    expect(seen.map((e) => e.id)).toEqual(all.map((r) => r.id));
    expect(seen.map((e) => e.position)).toEqual(all.map((_, i) => i + 1));
  });

  it('an org admin sees only its orgs; bad filters are 400 problem+json', async () => {
    const mine = (await audit(acmeAdmin, { limit: '200' })).body.data as { org_id: string | null }[];
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.org_id === acme.id)).toBe(true);
    expect((await audit(acmeAdmin, { org: globex.id })).body).toEqual({ data: [], next_cursor: null });

    const bad: Record<string, string>[] = [
      { since: 'yesterday' },
      { action: 'DROP TABLE' },
      { cursor: 'nope' },
      { colour: 'red' },
    ];
    for (const query of bad) {
      const r = await audit(platform, query);
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    const app = await token(acmeApp);
    expect((await audit(app.access_token)).status).toBe(403);
  });

  it('export streams NDJSON for a time window', async () => {
    const { code, out } = await runGatehouseCli(gh, ['audit', 'export', '--since', started.toISOString()]);
    expect(code).toBe(0);
    const events = out.map((line) => JSON.parse(line) as { id: string; occurred_at: string; action: string });
    const total = await gh.sql<{ n: number }>('SELECT count(*)::int AS n FROM audit_events');
    expect(events).toHaveLength(total[0]!.n);
    expect(events.filter((e) => e.action === 'token.issued').length).toBeGreaterThanOrEqual(4);

    const filtered = await runGatehouseCli(gh, ['audit', 'export', '--org', globex.id, '--action', 'token.issued']);
    expect(filtered.out).toHaveLength(1);
    expect((await runGatehouseCli(gh, ['audit', 'export', '--since', 'soon'])).code).toBe(2);
    expect((await runGatehouseCli(gh, ['audit', 'export', '--format', 'csv'])).code).toBe(2);
  });

  it('concurrent audited changes and token requests chain in commit order, without gaps or deadlocks', async () => {
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 15; i++) {
      work.push(gh.api('PATCH', `/v1/orgs/${acme.id}`, { token: platform, body: { display_name: `Acme ${i}` } }));
      work.push(
        gh.api('POST', `/v1/orgs/${globex.id}/apps`, { token: platform, body: { name: `a${i}`, scopes: ['x'] } }),
      );
      work.push(token(acmeApp));
    }
    const results = await Promise.all(work);
    expect(
      results.every((r) => !(r && typeof r === 'object' && 'status' in r) || (r as ApiResponse).status < 300),
    ).toBe(true);
    const [row] = await gh.sql<{ n: number; max: number }>(
      'SELECT count(*)::int AS n, max(chain_seq)::int AS max FROM audit_events',
    );
    expect(row!.max).toBe(row!.n);
    const verify = await runGatehouseCli(gh, ['audit', 'verify', '--json']);
    expect(JSON.parse(verify.out.join('\n'))).toMatchObject({ ok: true, events: row!.n });
  });

  it('verify passes on the untouched chain, and names the first row edited or deleted behind its back', async () => {
    const ok = await runGatehouseCli(gh, ['audit', 'verify', '--json']);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.out.join('\n'));
    expect(report).toMatchObject({ ok: true });
    expect(report.events).toBeGreaterThan(10);

    // The table refuses edits and deletes outright…
    await expect(gh.sql(`UPDATE audit_events SET outcome = 'failure' WHERE chain_seq = 3`)).rejects.toThrow(
      /append-only/,
    );
    await expect(gh.sql(`DELETE FROM audit_events WHERE chain_seq = 3`)).rejects.toThrow(/append-only/);

    // …so a tamperer with the power to switch the guard off is what the chain is for.
    const [victim] = await gh.sql<{ id: string }>(`SELECT id FROM audit_events WHERE chain_seq = 5`);
    await gh.sql(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
    await gh.sql(`UPDATE audit_events SET details = details || '{"edited": true}' WHERE chain_seq = 5`);
    const bad = await runGatehouseCli(gh, ['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toContain(`audit chain broken at position 5 (event ${victim!.id})`);

    await gh.sql(`UPDATE audit_events SET details = details - 'edited' WHERE chain_seq = 5`);
    expect((await runGatehouseCli(gh, ['audit', 'verify'])).code).toBe(0); // restored exactly

    await gh.sql(`DELETE FROM audit_events WHERE chain_seq = 7`);
    const gap = await runGatehouseCli(gh, ['audit', 'verify']);
    expect(gap.code).toBe(1);
    expect(gap.err.join('\n')).toMatch(/position 7 is missing/);
    await gh.sql(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
  });
});
