import { decodeJwt } from 'jose';
import { restoreAppLogger } from '../apps/gatehouse/src/bootstrap';
import {
  cliCreateAdmin,
  hasRedis,
  loginAdmin,
  startGatehouse,
  type TestGatehouse,
  clientPost,
} from './support/gatehouse';
import { startOwnRedis, type OwnRedis } from './support/redis-server';
import { startSecondInstance, type SecondInstance } from './support/second-instance';

/**
 * The Redis mirror of revocation state (docs/design.md §8): the fast path is really used,
 * and losing Redis — a flush, a restart, an outage — never brings a revoked token back.
 */
(hasRedis() ? describe : describe.skip)('revocation mirror in Redis', () => {
  let redis: OwnRedis;
  let gh: TestGatehouse;
  let second: SecondInstance | undefined;
  let admin: string;
  let orgId: string;
  type App = { client_id: string; client_secret: string };
  let app: App;
  let prefix: string;

  const form = (path: string, params: Record<string, string>, base = gh.url) => clientPost(base, app, path, params);
  const token = async () =>
    ((await (await form('/oauth/token', { grant_type: 'client_credentials' })).json()) as { access_token: string })
      .access_token;
  const me = async (t: string) => (await gh.api('GET', '/v1/me', { token: t })).status;
  const active = async (t: string, base = gh.url) =>
    ((await (await form('/oauth/introspect', { token: t }, base)).json()) as { active: boolean }).active;
  const jti = (t: string) => decodeJwt(t).jti!;
  const until = async (cond: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 100; i++) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const synced = async () => (await redis.client.exists(`${prefix}{rv}:synced`)) === 1;

  beforeAll(async () => {
    redis = await startOwnRedis();
    gh = await startGatehouse({ env: { REDIS_URL: redis.url } });
    prefix = gh.env.GATEHOUSE_REDIS_PREFIX!;
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body.id;
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: { name: 'svc', scopes: ['x'], rate_limit: { requests: 10_000, per_seconds: 60 } },
      })
    ).body;
  });
  afterAll(async () => {
    await second?.close();
    await gh?.close();
    await redis?.stop();
    redis?.client.disconnect();
  });

  it('mirrors revocations and answers from Redis when the mirror is complete', async () => {
    await until(synced, 'the start-up rebuild to mark the mirror complete');
    const revoked = await token();
    const before = await token();
    expect((await form('/oauth/revoke', { token: revoked })).status).toBe(200);
    await gh.api('POST', `/v1/orgs/${orgId}/apps/${app.client_id}/revoke-tokens`, { token: admin });
    await new Promise((r) => setTimeout(r, 1100)); // iat has whole seconds
    const after = await token();

    expect(await redis.client.exists(`${prefix}{rv}:jti:${jti(revoked)}`)).toBe(1);
    expect(Number(await redis.client.get(`${prefix}{rv}:va:${app.client_id}`))).toBeGreaterThan(Date.now() - 5000);
    expect(await redis.client.pttl(`${prefix}{rv}:jti:${jti(revoked)}`)).toBeGreaterThan(0); // gone when the token is
    expect([await me(revoked), await me(before), await me(after)]).toEqual([401, 401, 200]);

    // Redis is really consulted: a jti listed only there (not in Postgres) is refused…
    await redis.client.set(`${prefix}{rv}:jti:${jti(after)}`, '1', 'EX', 60);
    expect(await me(after)).toBe(401);
    expect(await active(after)).toBe(false);
    await redis.client.del(`${prefix}{rv}:jti:${jti(after)}`);
    expect(await me(after)).toBe(200);
  });

  it('a flush followed by a restart keeps revoked tokens dead, and the mirror is rebuilt', async () => {
    const revoked = await token();
    const live = await token();
    expect((await form('/oauth/revoke', { token: revoked })).status).toBe(200);

    await redis.client.flushall();
    // Without the completeness marker the mirror is not trusted: Postgres answers.
    expect(await me(revoked)).toBe(401);
    expect(await me(live)).toBe(200);

    await redis.stop();
    await redis.start(); // empty again
    second = await startSecondInstance(gh); // rebuilds on start (so does the first, on its next check)
    restoreAppLogger(gh.app); // Nest's logger is process-global: give it back to the first instance
    await until(synced, 'the rebuild after the restart');
    expect(await redis.client.exists(`${prefix}{rv}:jti:${jti(revoked)}`)).toBe(1);
    expect(await redis.client.exists(`${prefix}{rv}:va:${app.client_id}`)).toBe(1);
    expect(await active(revoked, second.url)).toBe(false);
    expect(await active(live, second.url)).toBe(true);
    expect(await me(revoked)).toBe(401);
    expect(await me(live)).toBe(200);
  });

  it('with Redis down, revocation is durable and checked in Postgres; the mirror catches up', async () => {
    const t = await token();
    await redis.stop();
    expect((await form('/oauth/revoke', { token: t })).status).toBe(200);
    expect(await me(t)).toBe(401);
    expect(gh.logs.some((l) => l.includes('revocation_mirror_write_failed'))).toBe(true);

    await redis.start();
    // The instance that failed to mirror clears the marker once Redis answers; the next
    // check finds it missing and rebuilds from Postgres.
    await until(async () => {
      expect(await me(t)).toBe(401);
      return (await redis.client.exists(`${prefix}{rv}:jti:${jti(t)}`)) === 1 && (await synced());
    }, 'the rebuild after the outage');
    expect(await me(t)).toBe(401);
  });
});
