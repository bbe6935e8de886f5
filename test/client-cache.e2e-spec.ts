import { decodeJwt } from 'jose';
import { CacheListener, createTestDatabase, SqlPool } from '@gatehouse/db';
import { ClientCache, type ClientRecord } from '@gatehouse/oauth';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { startSecondInstance, type SecondInstance } from './support/second-instance';

interface App {
  client_id: string;
  client_secret: string;
  client_secret_id: string;
}

/**
 * The token endpoint caches client lookups (libs/oauth/src/client-cache.ts). A change to an
 * app, its secrets or its org takes effect on the very next token request, whether this
 * instance made it, another instance did, or someone wrote SQL by hand.
 */
describe('client lookup cache', () => {
  const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
  let gh: TestGatehouse;
  let other: SecondInstance;
  let cache: ClientCache;
  let admin: string;
  let org: { id: string; name: string };
  let n = 0;

  const newApp = async (body: Record<string, unknown> = {}): Promise<App> => {
    const r = await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
      token: admin,
      body: { name: `app-${++n}`, scopes: ['a', 'b'], ...body },
    });
    expect(r.status).toBe(201);
    return r.body;
  };
  const token = async (app: App, params: Record<string, string> = {}, secret = app.client_secret, base = gh.url) => {
    const r = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
    });
    return { status: r.status, body: (await r.json()) as Record<string, string> };
  };
  /** Tokens until one comes from the cache (the first request opens the LISTEN connection). */
  const warm = async (app: App, secret = app.client_secret) => {
    expect((await token(app, {}, secret)).status).toBe(200);
    await waitFor(() => cache.listening);
    expect((await token(app, {}, secret)).status).toBe(200);
    const hits = cache.stats().hits;
    expect((await token(app, {}, secret)).status).toBe(200);
    expect(cache.stats().hits).toBe(hits + 1);
  };

  beforeAll(async () => {
    gh = await startGatehouse({ clock });
    other = await startSecondInstance(gh);
    cache = gh.app.get(ClientCache);
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'cached', display_name: 'Cached' } })).body;
  });
  afterAll(async () => {
    await other?.close();
    await gh?.close();
  });

  it('serves repeated requests from the cache, not the database', async () => {
    const app = await newApp();
    await warm(app);
    const before = cache.stats();
    for (let i = 0; i < 5; i++) expect((await token(app)).status).toBe(200);
    expect(cache.stats()).toMatchObject({ hits: before.hits + 5, misses: before.misses });
  });

  it('an app disabled by another instance is refused on its very next request, and back when enabled', async () => {
    const app = await newApp();
    await warm(app);
    const path = `/v1/orgs/${org.id}/apps/${app.client_id}`;
    expect((await other.api('PATCH', path, { token: admin, body: { disabled: true } })).status).toBe(200);
    expect(await token(app)).toEqual({ status: 401, body: expect.objectContaining({ error: 'invalid_client' }) });
    expect((await gh.api('PATCH', path, { token: admin, body: { disabled: false } })).status).toBe(200);
    expect((await token(app)).status).toBe(200);
  });

  it('an app disabled in SQL by hand is refused on its very next request', async () => {
    const app = await newApp();
    await warm(app);
    await gh.sql(`UPDATE applications SET disabled = true WHERE id = $1`, [app.client_id]);
    expect((await token(app)).body.error).toBe('invalid_client');
  });

  it('a secret revoked through either instance, or in SQL, stops working at once', async () => {
    const app = await newApp();
    const base = `/v1/orgs/${org.id}/apps/${app.client_id}/secrets`;
    const second = (await gh.api('POST', base, { token: admin })).body;
    await warm(app);
    await warm(app, second.client_secret);

    expect((await other.api('DELETE', `${base}/${app.client_secret_id}`, { token: admin })).status).toBe(204);
    expect((await token(app)).status).toBe(401);
    expect((await token(app, {}, second.client_secret)).status).toBe(200);

    await gh.sql(`UPDATE application_secrets SET revoked_at = now() WHERE id = $1`, [second.id]);
    expect((await token(app, {}, second.client_secret)).status).toBe(401);
  });

  it('scope and grant changes apply to the very next request', async () => {
    const app = await newApp();
    await warm(app);
    const path = `/v1/orgs/${org.id}/apps/${app.client_id}`;
    expect((await other.api('PATCH', path, { token: admin, body: { scopes: ['c'] } })).status).toBe(200);
    expect((await token(app, { scope: 'a' })).body.error).toBe('invalid_scope');
    expect(decodeJwt((await token(app)).body.access_token).scope).toBe('c');

    await gh.sql(`UPDATE applications SET grant_types = '{refresh_token}' WHERE id = $1`, [app.client_id]);
    expect((await token(app)).body.error).toBe('unauthorized_client');
  });

  it("an org renamed by another instance is in the very next token's claims", async () => {
    const renamed = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'before', display_name: 'B' } }))
      .body;
    const app = (
      await gh.api('POST', `/v1/orgs/${renamed.id}/apps`, { token: admin, body: { name: 'x', scopes: ['a'] } })
    ).body as App;
    await warm(app);
    const r = await other.api('PATCH', `/v1/orgs/${renamed.id}`, { token: admin, body: { name: 'after' } });
    expect(r.status).toBe(200);
    expect(decodeJwt((await token(app)).body.access_token).org).toBe('after');
  });

  it('a deleted app (another instance) and an app of a deleted org (SQL) are refused at once', async () => {
    const app = await newApp();
    await warm(app);
    expect((await other.api('DELETE', `/v1/orgs/${org.id}/apps/${app.client_id}`, { token: admin })).status).toBe(204);
    expect((await token(app)).status).toBe(401);

    const doomed = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'doomed', display_name: 'D' } }))
      .body;
    const orphan = (
      await gh.api('POST', `/v1/orgs/${doomed.id}/apps`, { token: admin, body: { name: 'y', scopes: ['a'] } })
    ).body as App;
    await warm(orphan);
    await gh.sql(`DELETE FROM organizations WHERE id = $1`, [doomed.id]);
    expect((await token(orphan)).status).toBe(401);
  });

  it('under concurrent load, no request sent after a change commits is served from before it', async () => {
    const app = await newApp();
    await warm(app);
    const results: { sentAt: number; status: number }[] = [];
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const sentAt = performance.now();
        results.push({ sentAt, status: (await token(app)).status });
      }
    };
    const loops = Array.from({ length: 16 }, loop);
    await new Promise((r) => setTimeout(r, 300));
    await gh.sql(`UPDATE applications SET disabled = true WHERE id = $1`, [app.client_id]);
    const committedAt = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    const after = results.filter((r) => r.sentAt > committedAt);
    expect(results.filter((r) => r.sentAt < committedAt && r.status === 200).length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((r) => r.status !== 401)).toEqual([]);
  });

  it('a secret that expires is refused at use time, with nothing in the database changing', async () => {
    const app = await newApp();
    const base = `/v1/orgs/${org.id}/apps/${app.client_id}/secrets`;
    expect((await gh.api('POST', base, { token: admin, body: { previous_expires_in_s: 60 } })).status).toBe(201);
    await warm(app);
    clock.offsetMs = 61_000;
    try {
      expect((await token(app)).status).toBe(401);
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('a lookup that raced a change is not cached', async () => {
    const app = await newApp();
    await waitFor(() => cache.listening);
    let called!: () => void;
    const loaderCalled = new Promise<void>((r) => (called = r));
    let release!: (r: ClientRecord) => void;
    const slowRead = cache.get(app.client_id, () => {
      called();
      return new Promise<ClientRecord>((r) => (release = r));
    });
    await loaderCalled;
    // The change commits while the read is in flight ...
    await gh.sql(`UPDATE applications SET disabled = true WHERE id = $1`, [app.client_id]);
    // ... and its notification has arrived once any later lookup has synced with the database.
    await cache.get('app_00000000000000000000000000', async () => null);
    release(stale(app.client_id, org));
    expect((await slowRead)?.disabled).toBe(false); // that request raced the change; fine
    let reads = 0;
    const next = await cache.get(app.client_id, async () => {
      reads++;
      return { ...stale(app.client_id, org), disabled: true };
    });
    expect(reads).toBe(1);
    expect(next?.disabled).toBe(true);
  });

  it('shares one listening connection per instance; one sync round trip per introspection, none per client-credentials token', async () => {
    const app = await newApp();
    await warm(app);
    expect((await token(app, {}, app.client_secret, other.url)).status).toBe(200);
    const listeners = async () =>
      (
        await gh.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE application_name LIKE 'gatehouse-%cache%' AND datname = current_database()`,
        )
      )[0].n;
    await waitFor(async () => (await listeners()) === 2);
    // A client-credentials request reads the client cache and the control layer's org cache
    // without a sync: its audit INSERT confirms them (docs/control.md#live).
    const listener = gh.app.get(CacheListener);
    const before = listener.roundTrips;
    const issued = await token(app);
    expect(issued.status).toBe(200);
    expect(listener.roundTrips).toBe(before);
    // Introspection reads the same caches behind one shared sync.
    const introspected = await fetch(`${gh.url}/oauth/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: issued.body.access_token! }).toString(),
    });
    expect(((await introspected.json()) as { active: boolean }).active).toBe(true);
    expect(listener.roundTrips).toBe(before + 1);
    expect(await listeners()).toBe(2);
  });

  it('reads the database while the LISTEN connection is down, and caches again once it is back', async () => {
    const app = await newApp();
    await warm(app);
    await gh.sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'gatehouse-cache-listener' AND datname = current_database()`,
    );
    await waitFor(() => !cache.listening);
    // Nobody hears this change; the next request must read it from the database anyway.
    await gh.sql(`UPDATE applications SET disabled = true WHERE id = $1`, [app.client_id]);
    const bypassed = cache.stats().bypassed;
    expect((await token(app)).status).toBe(401);
    expect(cache.stats().bypassed).toBe(bypassed + 1);
    expect(gh.logs.some((l) => l.includes('LISTEN connection lost'))).toBe(true);

    await waitFor(() => cache.listening);
    await gh.sql(`UPDATE applications SET disabled = false WHERE id = $1`, [app.client_id]);
    await warm(app);
    await gh.sql(`UPDATE applications SET disabled = true WHERE id = $1`, [app.client_id]);
    expect((await token(app)).status).toBe(401);
  });

  it('stays bypassed when notifications from other connections never reach the listener', async () => {
    // The listener on one database, the probe sent into another: what a transaction-mode
    // pooler does to LISTEN (the notification never reaches the listening session).
    const elsewhere = await createTestDatabase(process.env.GATEHOUSE_TEST_PG_URL!);
    const pool = new SqlPool(elsewhere.url);
    const listener = new CacheListener(gh.db.url, pool);
    const deaf = new ClientCache(listener);
    try {
      let reads = 0;
      const load = async () => {
        reads++;
        return stale('app_00000000000000000000000001', org);
      };
      await deaf.get('app_00000000000000000000000001', load);
      await new Promise((r) => setTimeout(r, 3_500));
      expect(deaf.listening).toBe(false);
      await deaf.get('app_00000000000000000000000001', load);
      expect(reads).toBe(2);
      expect(deaf.stats()).toMatchObject({ hits: 0, bypassed: 2, size: 0 });
    } finally {
      deaf.onModuleDestroy();
      await listener.close();
      await pool.onModuleDestroy();
      await elsewhere.drop();
    }
  });
});

function stale(id: string, org: { id: string; name: string }): ClientRecord {
  return {
    id,
    orgId: org.id,
    orgName: org.name,
    scopes: ['a', 'b'],
    audiences: [],
    resources: [],
    tokenTtlS: 600,
    grantTypes: ['client_credentials'],
    delegates: [],
    stepTokenTtlS: 120,
    tokenRateLimit: { requests: 100, perSeconds: 60 },
    disabled: false,
    secrets: [],
    authMethod: 'client_secret_basic',
    keys: null,
    jwksUri: null,
    dpopBound: false,
    dpopNonceRequired: false,
    signIn: {
      name: 'stale',
      clientType: 'confidential',
      redirectUris: [],
      postLogoutRedirectUris: [],
      requirePkce: true,
      consent: 'required',
      logoUri: null,
      clientUri: null,
      policyUri: null,
      tosUri: null,
      passwordLogin: false,
    },
  };
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}
