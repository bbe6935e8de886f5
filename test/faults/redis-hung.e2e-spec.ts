import { Redis } from 'ioredis';
import { cliCreateAdmin, clientPost, loginAdmin, startGatehouse, type TestGatehouse } from '../support/gatehouse';
import { startOwnRedis, type OwnRedis } from '../support/redis-server';

/**
 * docs/reliability.md#redis-hung: after one failed call the limiter and the revocation
 * mirror stop waiting on a hung Redis (circuit breaker) and serve from the local fallback
 * and PostgreSQL; a background probe finds out when it answers again. Measured on Redis
 * itself: commands sent while it was frozen are processed when it resumes, so its command
 * counters tell how many requests waited on it.
 */
jest.setTimeout(180_000);

describe('Redis hung (SIGSTOP), one process', () => {
  let redis: OwnRedis;
  let gh: TestGatehouse;
  let app: { client_id: string; client_secret: string };

  beforeAll(async () => {
    redis = await startOwnRedis();
    gh = await startGatehouse({ env: { REDIS_URL: redis.url } });
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { name: 'web', scopes: ['profile'], rate_limit: { requests: 10_000, per_seconds: 60 } },
      })
    ).body;
  });
  afterAll(async () => {
    redis?.resume();
    await gh?.close();
    await redis?.stop();
    redis?.client.disconnect();
  });

  async function commandCalls(): Promise<number> {
    const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const info = await c.info('commandstats');
      let total = 0;
      for (const m of info.matchAll(/^cmdstat_(evalsha|eval|mget|set|get):calls=(\d+)/gm)) total += Number(m[2]);
      return total;
    } finally {
      c.disconnect();
    }
  }

  it('stops waiting on Redis after the first failure and serves from the fallback until it answers', async () => {
    const issued = await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' });
    const token = ((await issued.json()) as { access_token: string }).access_token;
    expect((await gh.api('GET', '/v1/me', { token })).status).toBe(200);
    // Revoke one token: it must stay refused through the outage (the Postgres path).
    const revokedRes = await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' });
    const revoked = ((await revokedRes.json()) as { access_token: string }).access_token;
    expect((await clientPost(gh.url, app, '/oauth/revoke', { token: revoked })).status).toBe(200);

    const before = await commandCalls();
    redis.hang();
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        statuses.push((await gh.api('GET', '/v1/me', { token })).status);
        statuses.push((await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' })).status);
      }
      expect((await gh.api('GET', '/v1/me', { token: revoked })).status).toBe(401);
      expect((await gh.api('GET', '/readyz')).body.status).toBe('degraded');
    } finally {
      redis.resume();
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Let the commands queued while frozen be processed, then count what was sent meanwhile.
    await new Promise((r) => setTimeout(r, 300));
    const sentWhileHung = (await commandCalls()) - before - 1; // INFO itself is not counted; the mirror's probe GETs are few
    console.log(`[faults] Redis frozen: 80 requests answered 200, Redis commands sent meanwhile: ${sentWhileHung}`);
    // One failing command per breaker (limiter, mirror), plus whatever a probe sends.
    expect(sentWhileHung).toBeLessThan(10);

    // The probe closes the circuit (logged once), and limits are shared in Redis again.
    const recovered = () => gh.logs.filter((l) => l.includes('"event":"ratelimit_redis_recovered"')).length;
    for (let i = 0; i < 40 && recovered() === 0; i++) await new Promise((r) => setTimeout(r, 250));
    expect(recovered()).toBe(1);
    const n = await commandCalls();
    expect((await gh.api('GET', '/v1/me', { token })).status).toBe(200);
    expect(await commandCalls()).toBeGreaterThan(n + 1);
    expect(gh.logs.filter((l) => l.includes('"event":"ratelimit_redis_unreachable"'))).toHaveLength(1);
    expect(gh.logs.filter((l) => l.includes('"event":"ratelimit_redis_recovered"'))).toHaveLength(1);
  });
});
