import { decodeJwt } from 'jose';
import { loadConfig } from '@gatehouse/core';
import { RateLimiter } from '@gatehouse/ratelimit';
import { RevocationMirror, type RevocationSubject } from '@gatehouse/tokens';
import { clientPost, cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { hasRedisServer, startRedisCluster, type OwnRedisCluster } from './support/redis-cluster';

/**
 * Gatehouse on a Redis Cluster (REDIS_CLUSTER_NODES, docs/performance.md#redis-cluster): a
 * three-node cluster of the suite's own. The limiter's single-key script runs on its key's
 * slot; the revocation mirror's keys share the `{rv}` hash tag, so its MGET and its rebuild
 * script run on one slot. A node stopped mid-test costs the keys it served their shared
 * state — checks fall back (stricter local limits; Postgres for revocations) — and nothing
 * else: no error reaches a client, and the live nodes keep serving their keys.
 */
(hasRedisServer() ? describe : describe.skip)('Redis Cluster', () => {
  let cluster: OwnRedisCluster;
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let app: { client_id: string; client_secret: string };
  let prefix: string;
  let limiterA: RateLimiter;
  let limiterB: RateLimiter;
  const policy = { name: 'cluster-test', limit: 10, windowS: 60 };

  const token = async () => {
    const r = await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' });
    expect(r.status).toBe(200);
    return ((await r.json()) as { access_token: string }).access_token;
  };
  const subject = (t: string) => decodeJwt(t) as unknown as RevocationSubject;
  const me = async (t: string) => (await gh.api('GET', '/v1/me', { token: t })).status;
  const until = async (cond: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 200; i++) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  /** A limiter key (under the prefix, as RedisRateLimitStore writes it) served by `node`, or by another node. */
  const keyOn = async (node: string, same: boolean) => {
    for (let i = 0; i < 1000; i++) {
      const key = `cluster-test:${i}`;
      if (((await cluster.nodeOf(`${prefix}rl:${key}`)) === node) === same) return key;
    }
    throw new Error('no key found');
  };

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    gh = await startGatehouse({ env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') } });
    prefix = gh.env.GATEHOUSE_REDIS_PREFIX!;
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body.id;
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: { name: 'svc', scopes: ['x'], token_rate_limit: { requests: 1000, per_seconds: 60 } },
      })
    ).body;
    // Two more limiters on the same cluster and prefix: two other instances of Gatehouse.
    const config = loadConfig(gh.env);
    limiterA = new RateLimiter(config);
    limiterB = new RateLimiter(config);
    await until(
      async () => (await limiterA.check('warm-up', policy)) && limiterA.usingRedis,
      'the limiter to reach the cluster',
    );
  }, 120_000);
  afterAll(async () => {
    limiterA?.onModuleDestroy();
    limiterB?.onModuleDestroy();
    await gh?.close();
    await cluster?.stop();
  });

  it('connects through REDIS_CLUSTER_NODES and says so in /readyz', async () => {
    const ready = await gh.api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ redis: 'ok' });
  });

  it('shares one limit across instances, on keys spread over the nodes', async () => {
    const nodes = new Set<string>();
    for (let i = 0; i < 12; i++) nodes.add(await cluster.nodeOf(`${prefix}rl:cluster-test:spread:${i}`));
    expect(nodes.size).toBe(3);
    const key = 'cluster-test:shared';
    expect((await limiterA.check(key, policy)).remaining).toBe(9);
    expect((await limiterB.check(key, policy)).remaining).toBe(8);
    expect((await limiterA.check(key, policy)).remaining).toBe(7);
    expect(limiterA.usingRedis && limiterB.usingRedis).toBe(true);
    expect(await cluster.client.exists(`${prefix}rl:${key}`)).toBe(1);
  });

  it('keeps the revocation mirror on one slot: rebuilt, written and read from the cluster', async () => {
    await until(async () => (await cluster.client.exists(`${prefix}{rv}:synced`)) === 1, 'the mirror rebuild');
    const revoked = await token();
    const live = await token();
    expect((await clientPost(gh.url, app, '/oauth/revoke', { token: revoked })).status).toBe(200);
    expect(await cluster.client.exists(`${prefix}{rv}:jti:${subject(revoked).jti}`)).toBe(1);
    const mirror = gh.app.get(RevocationMirror);
    expect(await mirror.check(subject(revoked))).toBe(true); // answered by Redis, not null
    expect(await mirror.check(subject(live))).toBe(false);
    expect(await me(revoked)).toBe(401);
    expect(await me(live)).toBe(200);
    const rvNode = await cluster.nodeOf(`${prefix}{rv}:synced`);
    for (const suffix of ['synced', `jti:${subject(revoked).jti}`, `va:${app.client_id}`, 'rebuild']) {
      expect(await cluster.nodeOf(`${prefix}{rv}:${suffix}`)).toBe(rvNode);
    }
  });

  it('survives a node stopped mid-test: its keys fall back, the other nodes keep serving theirs', async () => {
    const revoked = await token();
    expect((await clientPost(gh.url, app, '/oauth/revoke', { token: revoked })).status).toBe(200);
    const rvNode = await cluster.nodeOf(`${prefix}{rv}:synced`);
    const onLive = await keyOn(rvNode, false);
    const onDead = await keyOn(rvNode, true);
    await cluster.stopNode(rvNode);

    // The revocation mirror's node is gone: checks ask Postgres, which still refuses the
    // revoked token; new tokens are issued and accepted.
    const mirror = gh.app.get(RevocationMirror);
    await until(async () => (await mirror.check(subject(revoked))) === null, 'the mirror to give up on the dead node');
    expect(await me(revoked)).toBe(401);
    const fresh = await token();
    expect(await me(fresh)).toBe(200);
    for (let i = 0; i < 5; i++) expect(await me(await token())).toBe(200);

    // A limiter key on a live node is still shared between instances.
    const first = await limiterA.check(onLive, policy);
    expect(first.remaining).toBe(9);
    expect((await limiterB.check(onLive, policy)).remaining).toBe(8);
    // One on the dead node is counted locally under the stricter fallback limit (half).
    const local = await limiterA.check(onDead, policy);
    expect(local.allowed).toBe(true);
    expect(local.remaining).toBe(4);
    expect(limiterA.usingRedis).toBe(false);
    // ...and once the circuit breaker's probe finds Redis answering (docs/reliability.md),
    // checks on a live node are shared again.
    let again = await limiterA.check(onLive, policy);
    await until(async () => {
      again = await limiterA.check(onLive, policy);
      return limiterA.usingRedis;
    }, 'the limiter to use the cluster again');
    expect(again.remaining).toBeLessThanOrEqual(7);
  });
});
