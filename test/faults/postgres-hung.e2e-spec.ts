import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from '../support/gatehouse';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres';

/**
 * docs/reliability.md#postgresql-hung: a PostgreSQL that is frozen (SIGSTOP: sockets open,
 * nothing answers) is answered like a stopped one — 503 with Retry-After from every route
 * that needs it, while it is still frozen — instead of requests waiting until it resumes.
 * Then Gatehouse recovers by itself.
 */
jest.setTimeout(180_000);

describe('PostgreSQL hung (SIGSTOP), one process', () => {
  let pg: OwnPostgres;
  let gh: TestGatehouse;
  let admin: string;
  let app: { client_id: string; client_secret: string };

  beforeAll(async () => {
    pg = await startOwnPostgres();
    gh = await startGatehouse({ pgServer: pg.url });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, { token: admin, body: { name: 'web', scopes: ['profile'] } })
    ).body;
  });
  afterAll(async () => {
    pg?.resume();
    await gh?.close();
    await pg?.destroy();
  });

  const token = () =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(30_000),
    });
  const get = (path: string) =>
    fetch(`${gh.url}${path}`, { headers: { authorization: `Bearer ${admin}` }, signal: AbortSignal.timeout(30_000) });
  const login = () =>
    fetch(`${gh.url}/v1/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.test', password: 'Wrong-Password-123' }),
      signal: AbortSignal.timeout(30_000),
    });

  it('answers 503 with Retry-After while PostgreSQL is frozen, then recovers by itself', async () => {
    expect((await token()).status).toBe(200);
    const logsBefore = gh.logs.length;
    pg.hang();
    let answered: { what: string; status: number; retryAfter: string | null }[] = [];
    try {
      // Fired while frozen, all at once; every one must answer before it is resumed.
      const calls: [string, () => Promise<Response>][] = [
        ['token', token],
        ['token', token],
        ['orgs', () => get('/v1/orgs')],
        ['audit', () => get('/v1/audit')],
        ['login', login],
        ['readyz', () => fetch(`${gh.url}/readyz`, { signal: AbortSignal.timeout(30_000) })],
      ];
      answered = await Promise.all(
        calls.map(async ([what, call]) => {
          const r = await call().catch((err: Error) => ({ status: -1, headers: new Headers(), err }));
          return { what, status: r.status, retryAfter: r.headers.get('retry-after') };
        }),
      );
    } finally {
      pg.resume();
    }
    console.log(`[faults] PostgreSQL frozen: ${JSON.stringify(answered)}`);
    for (const a of answered) {
      expect(a).toMatchObject({ status: 503 });
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
    }

    // docs/reliability.md#logs: one line per failure kind and code, no stack traces, codes kept.
    const outage = gh.logs.slice(logsBefore).map((l) => JSON.parse(l) as Record<string, unknown>);
    const failures = outage.filter((l) => l.event === 'database_unavailable');
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures.map((l) => l.error_code)).size).toBe(failures.length);
    expect(outage.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);

    // Recovers without a restart: the pools drop the stuck connections and reconnect.
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      status = (await token()).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);
    expect((await get('/v1/orgs')).status).toBe(200);
  });
});
