import { freePort, hasRedis, startGatehouse, type TestGatehouse } from './support/gatehouse';

/** Redis-backed: /readyz reports Redis when configured, and degrades (200) when it is gone. */
(hasRedis() ? describe : describe.skip)('readiness with Redis', () => {
  let gh: TestGatehouse;
  afterEach(() => gh?.close());

  it('reports Postgres and Redis ok', async () => {
    gh = await startGatehouse({ redis: true });
    const r = await gh.api('GET', '/readyz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('reports degraded, not down, when Redis is unreachable', async () => {
    gh = await startGatehouse({ env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` } });
    const r = await gh.api('GET', '/readyz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'degraded', checks: { postgres: 'ok', redis: 'down' } });
  });
});
