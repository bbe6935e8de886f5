import { apiClient, clientPost } from '../support/gatehouse';
import { driveTokens, sleep, startFaultWorld, type FaultWorld } from '../support/fault-harness';

jest.setTimeout(240_000);

const STOP_S = Number(process.env.FAULT_REDIS_STOP_S ?? 30);
const HANG_S = Number(process.env.FAULT_REDIS_HANG_S ?? 15);

/**
 * docs/reliability.md#redis-down, #redis-hung and #redis-fallback on a 2-worker Gatehouse:
 * Redis stopped, then frozen — issuance goes on under the stricter local limit (for the
 * instance as a whole, not per worker), revoked tokens stay refused, /readyz says degraded
 * and each worker alerts once; when Redis comes back empty the revocation mirror is rebuilt
 * and limits are shared again.
 */
describe('Redis stopped and hung under load (2 workers)', () => {
  let world: FaultWorld;
  let api: ReturnType<typeof apiClient>;
  let limited: { client_id: string; client_secret: string };
  let revoked: string;

  beforeAll(async () => {
    world = await startFaultWorld({ workers: 2 });
    api = apiClient(world.gatehouse.url);
    const orgs = (await api('GET', '/v1/orgs', { token: world.admin })).body.data;
    limited = (
      await api('POST', `/v1/orgs/${orgs[0].id}/apps`, {
        token: world.admin,
        body: { name: 'limited', scopes: ['load'], token_rate_limit: { requests: 20, per_seconds: 600 } },
      })
    ).body;
    const res = await clientPost(world.gatehouse.url, world.app, '/oauth/token', { grant_type: 'client_credentials' });
    revoked = ((await res.json()) as { access_token: string }).access_token;
    expect((await clientPost(world.gatehouse.url, world.app, '/oauth/revoke', { token: revoked })).status).toBe(200);
  });
  afterAll(() => world?.close());

  const lines = (event: string) => world.gatehouse.logs.filter((l) => l.includes(`"event":"${event}"`)).length;

  async function duringOutage(kind: string) {
    let done = false;
    const load = driveTokens(world.gatehouse.url, world.app, { concurrency: 4, until: () => done, boundMs: 5000 });
    await sleep(1500);
    const me = (await api('GET', '/v1/me', { token: revoked })).status;
    const ready = (await api('GET', '/readyz')).body.status;
    // 40 token requests of the limited app at once (several connections, so both workers)
    const limitedStatuses = await Promise.all(
      Array.from({ length: 40 }, () =>
        clientPost(world.gatehouse.url, limited, '/oauth/token', { grant_type: 'client_credentials' }).then(
          (r) => r.status,
        ),
      ),
    );
    return {
      me,
      ready,
      limitedAllowed: limitedStatuses.filter((s) => s === 200).length,
      stop: async () => {
        done = true;
        const r = await load;
        console.log(
          `[faults] Redis ${kind}: ${JSON.stringify({ requests: r.requests, statuses: r.statuses, revoked_token: me, readyz: ready, limited_allowed_of_40: limitedStatuses.filter((s) => s === 200).length })}`,
        );
        return r;
      },
    };
  }

  it(`stopped for ${STOP_S} s: issuance goes on under the instance-wide stricter limit; rebuilt when back empty`, async () => {
    await world.redis.stop();
    const o = await duringOutage('stopped');
    await sleep(Math.max(0, STOP_S * 1000 - 3000));
    const report = await o.stop();
    expect(report.statuses['500']).toBeUndefined();
    expect(report.statuses['503']).toBeUndefined();
    expect(report.unanswered).toBe(0);
    expect(o.me).toBe(401);
    expect(o.ready).toBe('degraded');
    // 20 per window shared; half for the whole instance while Redis is away, not half per worker.
    expect(o.limitedAllowed).toBeLessThanOrEqual(10);
    expect(o.limitedAllowed).toBeGreaterThan(0);
    const alerts = lines('ratelimit_redis_unreachable');
    expect(alerts).toBeGreaterThanOrEqual(1);
    expect(alerts).toBeLessThanOrEqual(2); // once per worker

    const rebuiltBefore = world.gatehouse.logs.filter((l) => l.includes('revocation mirror rebuilt')).length;
    const backAt = Date.now();
    await world.redis.start(); // empty: no persistence
    let recovered = false;
    for (let i = 0; i < 80 && !recovered; i++) {
      await api('GET', '/v1/me', { token: world.admin });
      recovered =
        lines('ratelimit_redis_recovered') >= alerts && (await world.redis.client.keys('*synced*')).length > 0;
      if (!recovered) await sleep(250);
    }
    console.log(`[faults] Redis back empty: limits shared and mirror rebuilt after ${Date.now() - backAt} ms`);
    expect(recovered).toBe(true);
    expect(world.gatehouse.logs.filter((l) => l.includes('revocation mirror rebuilt')).length).toBeGreaterThan(
      rebuiltBefore,
    );
    expect((await api('GET', '/v1/me', { token: revoked })).status).toBe(401);
    expect((await api('GET', '/readyz')).body.status).toBe('ready');
  });

  it(`hung (SIGSTOP) for ${HANG_S} s: issuance goes on without waiting on Redis`, async () => {
    world.redis.hang();
    let o;
    try {
      o = await duringOutage('hung');
      await sleep(Math.max(0, HANG_S * 1000 - 3000));
    } finally {
      world.redis.resume();
    }
    const report = await o.stop();
    expect(report.statuses['500']).toBeUndefined();
    expect(report.unanswered).toBe(0);
    expect(o.me).toBe(401);
    expect(o.ready).toBe('degraded');
    expect(o.limitedAllowed).toBeLessThanOrEqual(10);
  });
});
