import { CACHE_LISTENER_APPLICATION_NAME, CacheListener, SqlPool } from '@gatehouse/db';
import { decodeJwt } from 'jose';
import { Client } from 'pg';
import { clientPost, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { controlFixture, type ControlFixture } from './support/control';

/**
 * docs/control.md#live: a client-credentials request reads the caches without a sync round
 * trip, and its audit INSERT, which holds the invalidation epoch until it commits, shows
 * whether a change raced it. Here a change commits between the decision and the token's
 * commit — deterministically: the test holds the audit chain head's row lock, so the token's
 * audit INSERT waits after the decision was made, and the change is made then, by SQL behind
 * the API. A stop withholds the token (403, `token.withheld`); a change that stops nothing
 * lets it go after the second decision.
 */
describe('a change that races a token between its decision and its commit', () => {
  let gh: TestGatehouse;
  let f: ControlFixture;
  let holder: Client;

  beforeAll(async () => {
    gh = await startGatehouse();
    f = await controlFixture(gh);
    holder = new Client({ connectionString: gh.db.url });
    holder.on('error', () => undefined); // the database is dropped at the end
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end().catch(() => undefined);
    await gh?.close();
  });
  afterEach(async () => {
    await holder.query('ROLLBACK').catch(() => undefined);
    await setContract('active');
  });

  const token = () => clientPost(gh.url, f.app, '/oauth/token', { grant_type: 'client_credentials' });
  const setContract = (status: string) =>
    gh.sql(
      `INSERT INTO org_controls (org_id, contract_status) VALUES ($1, $2)
       ON CONFLICT (org_id) DO UPDATE SET contract_status = EXCLUDED.contract_status`,
      [f.orgId, status],
    );

  /**
   * Holds the chain head, fires a token request, waits until its audit INSERT is blocked
   * behind the lock (wrapped: an async function returning a promise would wait for it).
   */
  async function tokenBlockedAtCommit(): Promise<{ pending: Promise<Response> }> {
    await holder.query('BEGIN');
    const [{ pid }] = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    await holder.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
    const pending = token();
    for (let i = 0; i < 200; i++) {
      const waiting = await gh.sql(`SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [pid]);
      if (waiting.length > 0) return { pending };
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the token request never reached its audit INSERT');
  }

  it('token requests make no sync round trip of their own', async () => {
    const caches = gh.app.get(CacheListener);
    for (let i = 0; i < 3; i++) expect((await token()).status).toBe(200);
    const before = caches.roundTrips;
    for (let i = 0; i < 20; i++) expect((await token()).status).toBe(200);
    expect(caches.roundTrips).toBe(before);
  });

  it('a stop committed after the decision and before the commit withholds the token', async () => {
    expect((await token()).status).toBe(200); // the org's good standing is cached
    const { pending } = await tokenBlockedAtCommit();
    await setContract('suspended'); // commits while the token's audit row waits
    await holder.query('COMMIT');
    const res = await pending;
    expect(res.status).toBe(403);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'access_denied', reason: 'contract_inactive' });
    expect(body.access_token).toBeUndefined();

    const [withheld] = await gh.sql<{ jti: string; reason: string; details: Record<string, unknown> }>(
      `SELECT jti, reason, details FROM audit_events WHERE action = 'token.withheld' AND actor_id = $1`,
      [f.app.client_id],
    );
    expect(withheld).toMatchObject({
      reason: 'the access gate stopped the principal on a change that raced the request',
      details: { grant_type: 'client_credentials', stop_reason: 'contract_inactive' },
    });
    // The row of the token that was signed but never sent names the same jti.
    expect(await gh.sql(`SELECT action FROM audit_events WHERE jti = $1 ORDER BY chain_seq`, [withheld!.jti])).toEqual([
      { action: 'token.issued' },
      { action: 'token.withheld' },
    ]);
    // And the next request is refused up front.
    expect((await token()).status).toBe(403);
  });

  it('a change that stops nothing gets a token issued again on fresh state', async () => {
    expect((await token()).status).toBe(200);
    const withheldBefore = await gh.sql(`SELECT 1 FROM audit_events WHERE action = 'token.withheld'`);
    const { pending } = await tokenBlockedAtCommit();
    const renamedTo = `raced-${Date.now().toString(36)}`;
    await gh.sql(`UPDATE organizations SET name = $2 WHERE id = $1`, [f.orgId, renamedTo]);
    await holder.query('COMMIT');
    const res = await pending;
    expect(res.status).toBe(200);
    const sent = ((await res.json()) as { access_token?: string }).access_token!;
    // The token read before the change is withheld and issued again on fresh state: the one
    // sent carries the new name, and the withheld one is recorded.
    expect(decodeJwt(sent).org).toBe(renamedTo);
    const withheld = await gh.sql<{ jti: string }>(`SELECT jti FROM audit_events WHERE action = 'token.withheld'`);
    expect(withheld).toHaveLength(withheldBefore.length + 1);
    expect(withheld.map((w) => w.jti)).not.toContain(decodeJwt(sent).jti);
  });

  it('closing waits for a sync round trip in flight, and leaves no listening connection behind', async () => {
    // A listener of its own on the suite's database; its sync round trip (a read of
    // cache_epoch) is held by a lock, so closing happens under it, as under a change's sync.
    const pool = new SqlPool(gh.db.url);
    const listener = new CacheListener(gh.db.url, pool);
    const listeners = async () =>
      (
        await gh.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
          [CACHE_LISTENER_APPLICATION_NAME],
        )
      )[0]!.n;
    const before = await listeners();
    try {
      listener.start();
      for (let i = 0; i < 200 && !listener.listening; i++) await new Promise((r) => setTimeout(r, 25));
      expect(listener.listening).toBe(true);
      await holder.query('BEGIN');
      const [{ pid }] = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [
        { pid: number },
      ];
      await holder.query('LOCK TABLE cache_epoch IN ACCESS EXCLUSIVE MODE');
      const synced = listener.sync();
      for (let i = 0; i < 200; i++) {
        if ((await gh.sql(`SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [pid])).length) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      let released = false;
      const closing = listener.close().then(() => released);
      // Given time to finish, closing does not end the connection under the round trip.
      expect(await Promise.race([closing, new Promise((r) => setTimeout(() => r('waiting'), 500))])).toBe('waiting');
      released = true;
      await holder.query('COMMIT');
      expect(await synced).toBe(true); // the round trip finished, and its answer holds
      expect(await closing).toBe(true); // closed only after the lock was released
      expect(listener.listening).toBe(false);
      // Its backend is gone once PostgreSQL has processed the termination.
      for (let i = 0; i < 80 && (await listeners()) !== before; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await listeners()).toBe(before);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await listener.close();
      await pool.onModuleDestroy();
    }
  });

  it('under concurrent load, no token of a stopped org leaves once the stop has committed', async () => {
    expect((await token()).status).toBe(200);
    let stoppedAt = Number.POSITIVE_INFINITY;
    const results: { startedAt: number; status: number; jti: string | null }[] = [];
    const loop = async () => {
      for (let i = 0; i < 40; i++) {
        const startedAt = performance.now();
        const res = await token();
        const body = (await res.json()) as { access_token?: string };
        const jti = body.access_token
          ? (JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti
          : null;
        results.push({ startedAt, status: res.status, jti });
      }
    };
    const stop = (async () => {
      await new Promise((r) => setTimeout(r, 150));
      await setContract('suspended');
      stoppedAt = performance.now();
    })();
    await Promise.all([...Array.from({ length: 8 }, loop), stop]);

    const after = results.filter((r) => r.startedAt > stoppedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.status === 403)).toBe(true);
    // Every token received is one whose row stands; none of them was withheld.
    const received = results.filter((r) => r.jti).map((r) => r.jti!);
    expect(received.length).toBeGreaterThan(0);
    const withheld = await gh.sql<{ jti: string }>(`SELECT jti FROM audit_events WHERE action = 'token.withheld'`);
    const withheldSet = new Set(withheld.map((w) => w.jti));
    expect(received.filter((j) => withheldSet.has(j))).toEqual([]);
    const rows = await gh.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'token.issued' AND jti = ANY($1)`,
      [received],
    );
    expect(rows[0]!.n).toBe(received.length);
  });
});
