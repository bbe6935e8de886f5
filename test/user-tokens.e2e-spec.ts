import { decodeJwt } from 'jose';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/** User sign-in through an app, the refresh_token grant, reuse detection and brute-force limits. */
describe('user tokens', () => {
  let gh: TestGatehouse;
  let admin: string;
  let org: { id: string; name: string };
  let otherOrg: { id: string };
  let app: { client_id: string; client_secret: string };
  let otherApp: { client_id: string };
  let foreignApp: { client_id: string };
  const password = 'User-Strong-Pass-42';

  const refresh = (params: Record<string, string>) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', ...params }).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
  const login = (email: string, pw = password, clientId = app.client_id, orgId = org.id, ip?: string) =>
    gh.api('POST', `/v1/orgs/${orgId}/users/login`, {
      body: { client_id: clientId, email, password: pw },
      headers: ip ? { 'x-forwarded-for': ip } : {},
    });

  beforeAll(async () => {
    // Trusting X-Forwarded-For lets a test sign in from an address of its own.
    gh = await startGatehouse({ env: { GATEHOUSE_TRUST_PROXY: 'true' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    otherOrg = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'Globex' } }))
      .body;
    const mkApp = async (orgId: string, name: string) =>
      (
        await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
          token: admin,
          body: { password_login: true, name, scopes: ['profile', 'orders:read'] },
        })
      ).body;
    app = await mkApp(org.id, 'web');
    otherApp = await mkApp(org.id, 'mobile');
    foreignApp = await mkApp(otherOrg.id, 'globex-web');
    for (const email of ['dana@acme.test', 'erin@acme.test', 'frank@acme.test']) {
      expect(
        (await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } })).status,
      ).toBe(201);
    }
  });
  afterAll(() => gh?.close());

  it('signs a user in through an app of the org and issues a user token with org claims and a refresh token', async () => {
    const res = await login('dana@acme.test');
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toMatch(/^ghr_/);
    const claims = decodeJwt(res.body.access_token);
    expect(claims).toMatchObject({
      tier: 'user',
      org: 'acme',
      org_id: org.id,
      client_id: app.client_id,
      scope: 'profile orders:read',
    });
    expect(claims.sub).toMatch(/^usr_/);
    const me = await gh.api('GET', '/v1/me', { token: res.body.access_token });
    expect(me.body).toMatchObject({ tier: 'user', client_id: app.client_id, org_id: org.id });
    const audit = await gh.sql(`SELECT action FROM audit_events WHERE jti = $1`, [claims.jti]);
    expect(audit).toEqual([{ action: 'token.issued' }]);
  });

  it('refuses wrong passwords and unknown users alike, and apps or orgs the user does not belong to', async () => {
    const wrong = await login('dana@acme.test', 'Not-The-Password-1');
    const unknown = await login('nobody@acme.test');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    // another org's app, through this org's route
    expect((await login('dana@acme.test', password, foreignApp.client_id)).body.code).toBe('invalid_client');
    // this org's user, through another org's route and app
    expect((await login('dana@acme.test', password, foreignApp.client_id, otherOrg.id)).status).toBe(401);
  });

  it('rotates the refresh token on the refresh_token grant and may narrow the scope', async () => {
    const first = (await login('erin@acme.test')).body;
    const r1 = await refresh({ refresh_token: first.refresh_token, client_id: app.client_id, scope: 'profile' });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(r1.body.access_token)).toMatchObject({ tier: 'user', scope: 'profile', client_id: app.client_id });
    const wider = await refresh({ refresh_token: r1.body.refresh_token, client_id: app.client_id, scope: 'admin' });
    expect(wider).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    // the refused request did not spend the token
    const r2 = await refresh({ refresh_token: r1.body.refresh_token, client_id: app.client_id });
    expect(r2.status).toBe(200);
  });

  it('a refresh token is bound to its app: another client gets invalid_grant and the token survives', async () => {
    const s = (await login('frank@acme.test')).body;
    const other = await refresh({ refresh_token: s.refresh_token, client_id: otherApp.client_id });
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const basic = `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`;
    const own = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: s.refresh_token }).toString(),
    });
    expect(own.status).toBe(200);
  });

  it('reuse of a spent refresh token kills the family and is audited as suspected theft', async () => {
    const s = (await login('dana@acme.test')).body;
    const r1 = await refresh({ refresh_token: s.refresh_token, client_id: app.client_id });
    expect(r1.status).toBe(200);
    expect((await refresh({ refresh_token: s.refresh_token, client_id: app.client_id })).body.error).toBe(
      'invalid_grant',
    );
    expect((await refresh({ refresh_token: r1.body.refresh_token, client_id: app.client_id })).body.error).toBe(
      'invalid_grant',
    );
    const rows = await gh.sql(
      `SELECT a.outcome, a.org_id FROM audit_events a JOIN refresh_families f ON f.id = a.target_id
        WHERE a.action = 'token.refresh_reuse_detected' AND f.revoked_why = 'reuse_detected' AND a.actor_id = $1`,
      [decodeJwt(s.access_token).sub],
    );
    expect(rows).toEqual([{ outcome: 'failure', org_id: org.id }]);
  });

  it('a refresh family has an absolute lifetime: past it, even its newest token is refused and audited', async () => {
    const email = 'gina@acme.test';
    expect((await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } })).status).toBe(
      201,
    );
    const s = (await login(email)).body;
    const sub = decodeJwt(s.access_token).sub as string;
    const r1 = await refresh({ refresh_token: s.refresh_token, client_id: app.client_id });
    expect(r1.status).toBe(200); // rotating does not extend the family
    const lifetime = async (subject: string) =>
      (
        await gh.sql(
          `SELECT extract(epoch FROM expires_at - created_at)::int AS s FROM refresh_families WHERE subject_id = $1`,
          [subject],
        )
      ).map((r) => Number(r.s));
    // GATEHOUSE_REFRESH_TOKEN_TTL_S (default 30 days) from sign-in, whatever the rotations.
    const [seconds] = await lifetime(sub);
    expect(Math.abs(seconds - 30 * 24 * 3600)).toBeLessThanOrEqual(2);
    // The family's end has come; its newest token on its own would still be valid.
    await gh.sql(`UPDATE refresh_families SET expires_at = now() - interval '1 second' WHERE subject_id = $1`, [sub]);
    const late = await refresh({ refresh_token: r1.body.refresh_token, client_id: app.client_id });
    expect(late).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const rows = await gh.sql(
      `SELECT outcome, reason FROM audit_events WHERE action = 'token.refreshed' AND actor_id = $1 ORDER BY chain_seq`,
      [sub],
    );
    expect(rows).toEqual([
      { outcome: 'success', reason: null },
      { outcome: 'failure', reason: 'refresh token expired' },
    ]);
  });

  it('an administrator refresh family ends at its absolute lifetime too', async () => {
    const session = await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }));
    const sub = decodeJwt(session.access_token).sub as string;
    const next = await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: session.refresh_token } });
    expect(next.status).toBe(200);
    await gh.sql(`UPDATE refresh_families SET expires_at = now() - interval '1 second' WHERE subject_id = $1`, [sub]);
    const late = await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: next.body.refresh_token } });
    expect(late.status).toBe(400);
    expect(late.body.code).toBe('invalid_grant');
  });

  it('two concurrent uses of one refresh token: exactly one rotates, the other is reuse and ends the family', async () => {
    const s = (await login('dana@acme.test')).body;
    const [a, b] = await Promise.all([
      refresh({ refresh_token: s.refresh_token, client_id: app.client_id }),
      refresh({ refresh_token: s.refresh_token, client_id: app.client_id }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    const winner = a.status === 200 ? a : b;
    // The loser waited on the token's row lock, then saw it spent: the family is revoked,
    // so the winner's successor is dead too.
    expect((await refresh({ refresh_token: winner.body.refresh_token, client_id: app.client_id })).body.error).toBe(
      'invalid_grant',
    );
    const rows = await gh.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM refresh_families f JOIN refresh_tokens t ON t.family_id = f.id
        WHERE f.revoked_why = 'reuse_detected' AND t.used_at IS NOT NULL AND f.subject_id =
              (SELECT id FROM users WHERE email = 'dana@acme.test')`,
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('an app not allowed the refresh_token grant cannot refresh (unauthorized_client)', async () => {
    const s = (await login('frank@acme.test')).body;
    await gh.api('PATCH', `/v1/orgs/${org.id}/apps/${app.client_id}`, {
      token: admin,
      body: { grant_types: ['client_credentials'] },
    });
    try {
      const res = await refresh({ refresh_token: s.refresh_token, client_id: app.client_id });
      expect(res).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    } finally {
      await gh.api('PATCH', `/v1/orgs/${org.id}/apps/${app.client_id}`, {
        token: admin,
        body: { grant_types: ['client_credentials', 'refresh_token'] },
      });
    }
    expect((await refresh({ refresh_token: s.refresh_token, client_id: app.client_id })).status).toBe(200);
  });

  it('admin refresh tokens are not accepted by the OAuth refresh grant', async () => {
    const adminSession = await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }));
    const res = await refresh({ refresh_token: adminSession.refresh_token, client_id: app.client_id });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a disabled user can neither sign in nor refresh', async () => {
    const s = (await login('erin@acme.test')).body;
    const erin = decodeJwt(s.access_token).sub!;
    await gh.api('PATCH', `/v1/orgs/${org.id}/users/${erin}`, { token: admin, body: { disabled: true } });
    expect((await login('erin@acme.test')).status).toBe(401);
    expect((await refresh({ refresh_token: s.refresh_token, client_id: app.client_id })).body.error).toBe(
      'invalid_grant',
    );
    expect((await gh.api('GET', '/v1/me', { token: s.access_token })).status).toBe(401);
  });

  it('limits sign-in attempts per account with 429, Retry-After and RateLimit headers', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof login>> | undefined;
    for (let i = 0; i < 12; i++) {
      const r = await login('target@acme.test', 'Guess-Number-' + i);
      statuses.push(r.status);
      if (r.status === 429) limited ??= r;
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(limited!.body.code).toBe('rate_limited');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited!.headers.get('ratelimit-policy')).toBe('"login-account";q=10;w=300');
    expect(limited!.headers.get('ratelimit')).toMatch(/^"login-account";r=0;t=\d+$/);
  });

  it('limits sign-in attempts per source address across accounts (30 a minute)', async () => {
    const address = '203.0.113.7';
    // All at once, each for another account, so only the address limit can refuse. GCRA
    // frees one more slot every 2 s (30 a minute): a slow burst may pass one more per 2 s.
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        login(`spray${i}@acme.test`, 'Guess-Number-1', app.client_id, org.id, address),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    const passed = results.filter((r) => r.status === 401).length;
    expect(passed).toBeGreaterThanOrEqual(30);
    expect(passed).toBeLessThanOrEqual(30 + Math.ceil(seconds / 2));
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(40 - passed);
    expect(limited[0].headers.get('ratelimit-policy')).toBe('"login-address";q=30;w=60');
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not held back, and the right password from the limited one is
    // refused too: the limit is checked before the password.
    expect((await login('dana@acme.test', password, app.client_id, org.id, '203.0.113.8')).status).toBe(200);
    // (Three at once: on a slow machine GCRA may have freed one slot since the burst.)
    const again = await Promise.all(
      [1, 2, 3].map(() => login('dana@acme.test', password, app.client_id, org.id, address)),
    );
    expect(again.map((r) => r.status)).toContain(429);
    const audit = await gh.sql(
      `SELECT details->>'policy' AS policy, source_ip FROM audit_events WHERE action = 'ratelimit.refused' AND source_ip = $1`,
      [address],
    );
    expect(audit).toEqual([{ policy: 'login-address', source_ip: address }]); // one row for the window
  });
});
