import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { startResourceDemo, type ResourceDemo } from './support/resource-demo';
import { SwitchableGate } from './support/switchable-gate';

type App = { client_id: string; client_secret: string };
type Body = Record<string, unknown>;
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const MANAGED = 'urn:gatehouse:params:oauth:token-type:managed';
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Body;

/**
 * Managed bearer tokens (docs/managed-tokens.md): created from a fresh user
 * sign-in, exchanged by their hosts for short user tokens a resource server accepts,
 * regenerated and revoked at once, kept apart from sessions and app credentials, stopped
 * by the access gate, and suspended through anomaly review.
 */
describe('managed bearer tokens', () => {
  let gh: TestGatehouse;
  let demo: ResourceDemo;
  const gate = new SwitchableGate();
  let admin: string;
  let org: { id: string };
  let web: App; // the app the user signs in through
  let host: App; // a background agent host named in `hosts`
  let stranger: App; // exchange-capable, not a host
  let userId: string;
  let userToken: string;
  const password = 'User-Strong-Pass-42';

  const form = (client: App | null, params: Record<string, string>, ip?: string) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(client
          ? { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` }
          : {}),
        ...(ip ? { 'x-forwarded-for': ip } : {}),
      },
      body: new URLSearchParams(params).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Body }));
  const exchange = (client: App, managed: string, extra: Record<string, string> = {}, ip?: string) =>
    form(client, { grant_type: EXCHANGE, subject_token: managed, subject_token_type: MANAGED, ...extra }, ip);
  const signIn = async () =>
    (
      await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
        body: { client_id: web.client_id, email: 'dana@acme.test', password },
      })
    ).body as { access_token: string; refresh_token: string };
  const create = (token: string, hosts = [host.client_id]) =>
    gh.api('POST', '/v1/me/managed-token', { token, body: { hosts } });
  const audit = (action: string) =>
    gh.sql<{ target_id: string; details: Body; outcome: string }>(
      `SELECT target_id, details, outcome FROM audit_events WHERE action = $1 ORDER BY seq`,
      [action],
    );

  beforeAll(async () => {
    gh = await startGatehouse({ redis: true, accessGate: gate, env: { GATEHOUSE_TRUST_PROXY: 'true' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    const mkApp = async (name: string, scopes: string[], grantTypes = ['client_credentials', 'refresh_token']) =>
      (
        await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
          token: admin,
          body: { password_login: true, name, scopes, grant_types: grantTypes },
        })
      ).body as App;
    web = await mkApp('web', ['invoices:read', 'invoices:write', 'profile']);
    host = await mkApp('agent-host', ['invoices:read', 'profile'], ['client_credentials', EXCHANGE]);
    stranger = await mkApp('stranger', ['invoices:read'], ['client_credentials', EXCHANGE]);
    const feed = await mkApp('demo-feed', ['gatehouse:revocations']);
    userId = (
      await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email: 'dana@acme.test', password } })
    ).body.id;
    userToken = (await signIn()).access_token;
    demo = await startResourceDemo({
      GATEHOUSE_ISSUER: gh.url,
      DEMO_FEED_CLIENT_ID: feed.client_id,
      DEMO_FEED_CLIENT_SECRET: feed.client_secret,
      DEMO_REVOCATION_INTERVAL_S: '1',
      DEMO_RATE_LIMIT_PREFIX: `${gh.env.GATEHOUSE_REDIS_PREFIX}demo:`,
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
  });
  afterEach(() => gate.reset());
  afterAll(async () => {
    await demo?.stop();
    await gh?.close().catch(() => undefined);
  });

  it('create → exchange for a host → the resource server accepts it → regenerate → the old secret is dead', async () => {
    expect(claimsOf(userToken).auth_time).toEqual(expect.any(Number));
    const created = await create(userToken);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^mgt_/),
      token: expect.stringMatching(/^ghm_[A-Za-z0-9_-]{43}$/),
      hosts: [host.client_id],
      created_at: expect.any(String),
    });
    const first = created.body as { id: string; token: string };
    const listed = await gh.api('GET', '/v1/me/managed-token', { token: userToken });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ id: first.id, hosts: [host.client_id] });
    expect(listed.body).not.toHaveProperty('token');

    const r = await exchange(host, first.token, { scope: 'invoices:read' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      token_type: 'Bearer',
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      expires_in: 300,
      scope: 'invoices:read',
    });
    expect(r.body).not.toHaveProperty('refresh_token');
    const claims = claimsOf(r.body.access_token as string);
    expect(claims).toMatchObject({
      tier: 'user',
      sub: userId,
      client_id: host.client_id,
      act: { sub: host.client_id },
      org_id: org.id,
      parent_jti: first.id,
    });
    expect(claims).not.toHaveProperty('step');
    const atDemo = await demo.api('GET', `/orgs/${org.id}/invoices`, { token: r.body.access_token as string });
    expect(atDemo.status).toBe(200);
    expect(atDemo.body).toMatchObject({ org_id: org.id, caller: userId });
    const exchanged = (await audit('token.exchanged')).filter((a) => a.target_id === first.id);
    expect(exchanged[0]).toMatchObject({
      outcome: 'success',
      details: { managed_token_id: first.id, host: host.client_id },
    });

    // A second POST regenerates: the old secret stops at once, and so do the tokens it produced.
    const second = await create(userToken);
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.id);
    const old = await exchange(host, first.token);
    expect(old.status).toBe(400);
    expect(old.body.error).toBe('invalid_request');
    expect(old.body).not.toHaveProperty('access_token');
    const me = await gh.api('GET', '/v1/me', { token: r.body.access_token as string });
    expect(me.status).toBe(401);
    // …and at the resource server once its revocation feed (polled every second) has it.
    let atDemoAfter = 200;
    for (let i = 0; i < 50 && atDemoAfter === 200; i++) {
      await new Promise((res) => setTimeout(res, 200));
      atDemoAfter = (await demo.api('GET', `/orgs/${org.id}/invoices`, { token: r.body.access_token as string }))
        .status;
    }
    expect(atDemoAfter).toBe(401);
    expect((await exchange(host, second.body.token as string)).status).toBe(200);
    expect((await audit('managed_token.regenerated')).at(-1)).toMatchObject({
      target_id: second.body.id,
      details: { replaced: first.id },
    });
    // The secret is shown once: nowhere in the audit log.
    const all = await gh.sql<{ row: string }>(`SELECT row_to_json(a)::text AS row FROM audit_events a`);
    expect(all.some((a) => a.row.includes(first.token) || a.row.includes(second.body.token as string))).toBe(false);
    const logs = gh.logs.join('\n');
    expect(logs.includes(first.token) || logs.includes(second.body.token as string)).toBe(false);
  });

  it('is kept apart: refused as a /v1 bearer, as client credentials, as a refresh token and on a host it does not name', async () => {
    const { token } = (await create(userToken)).body as { token: string };
    expect((await gh.api('GET', '/v1/me', { token })).status).toBe(401);
    const asClient = await form(
      { client_id: host.client_id, client_secret: token },
      { grant_type: 'client_credentials' },
    );
    expect(asClient.status).toBe(401);
    expect(asClient.body.error).toBe('invalid_client');
    const asRefresh = await form(null, { grant_type: 'refresh_token', client_id: web.client_id, refresh_token: token });
    expect(asRefresh.status).toBe(400);
    expect(asRefresh.body.error).toBe('invalid_grant');
    const notHost = await exchange(stranger, token);
    expect(notHost.status).toBe(400);
    expect(notHost.body.error).toBe('invalid_request');
    const refusedRow = (await audit('token.exchanged')).at(-1)!;
    expect(refusedRow).toMatchObject({ outcome: 'failure', details: { rule: 'not_a_host' } });
    // Scope beyond the ceiling ∩ host, and a resource that is not the host's.
    expect((await exchange(host, token, { scope: 'invoices:write' })).body.error).toBe('invalid_scope');
    expect((await exchange(host, token, { resource: 'https://elsewhere.test' })).body.error).toBe('invalid_target');
  });

  it('is created only by a user token: not by app, admin or step tokens', async () => {
    const appToken = (await form(host, { grant_type: 'client_credentials' })).body.access_token as string;
    expect((await create(appToken)).status).toBe(403);
    expect((await create(admin)).status).toBe(403);
    const { token } = (await create(userToken)).body as { token: string };
    const delegated = (await exchange(host, token)).body.access_token as string;
    const byStep = await create(delegated);
    expect(byStep.status).toBe(403);
    expect(byStep.body.code).toBe('forbidden');
    expect((await create(userToken, [web.client_id, 'app_00000000000000000000000000'])).status).toBe(400);
  });

  it('needs a sign-in of the last 10 minutes: a refresh keeps auth_time, so an old session cannot create one', async () => {
    const session = await signIn();
    const signedInAt = claimsOf(session.access_token).auth_time as number;
    await gh.sql(`UPDATE refresh_families SET created_at = created_at - interval '11 minutes' WHERE subject_id = $1`, [
      userId,
    ]);
    const refreshed = await form(null, {
      grant_type: 'refresh_token',
      client_id: web.client_id,
      refresh_token: session.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const stale = refreshed.body.access_token as string;
    expect(claimsOf(stale).auth_time).toBe(signedInAt - 660);
    const r = await create(stale);
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/sign in again/);
  });

  it("stays inside its org: another org's app is no host, another org's admin sees nothing", async () => {
    const globex = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } }))
      .body;
    const foreign = (
      await gh.api('POST', `/v1/orgs/${globex.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'foreign', scopes: ['invoices:read'], grant_types: [EXCHANGE] },
      })
    ).body as App;
    const refused = await create(userToken, [foreign.client_id]);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('validation_failed');
    const { token } = (await create(userToken)).body as { token: string };
    expect((await exchange(foreign, token)).body.error).toBe('invalid_request');
    const globexAdmin = (await loginAdmin(gh, await cliCreateAdmin(gh, { orgIds: [globex.id] }))).access_token;
    const path = `/v1/orgs/${org.id}/users/${userId}/managed-token`;
    expect((await gh.api('GET', path, { token: globexAdmin })).status).toBe(404);
    expect((await gh.api('DELETE', path, { token: globexAdmin })).status).toBe(404);
    const flags = await gh.api('GET', `/v1/anomalies?org=${org.id}`, { token: globexAdmin });
    expect(flags.body.items).toEqual([]);
    expect((await exchange(host, token)).status).toBe(200);
  });

  it('is stopped by the access gate on its next use, with the reason and the recovery path', async () => {
    const { token } = (await create(userToken)).body as { token: string };
    gate.denyAll('contract_inactive');
    const r = await exchange(host, token);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      error: 'access_denied',
      error_description: 'A test gate stopped this request.',
      reason: 'contract_inactive',
      recovery: 'Turn the test gate off.',
      decision_id: expect.stringMatching(/^dec_/),
    });
    expect(gate.asked.at(-1)).toMatchObject({
      point: 'issuance',
      subject: { tier: 'user', id: userId, clientId: host.client_id },
      actors: [host.client_id],
    });
    gate.reset();
    expect((await exchange(host, token)).status).toBe(200);
  });

  it('an org admin reads, re-hosts and revokes it; revoke-all ends it and says so', async () => {
    const path = `/v1/orgs/${org.id}/users/${userId}/managed-token`;
    const { token, id } = (await create(userToken)).body as { token: string; id: string };
    expect((await gh.api('GET', path, { token: admin })).body).toMatchObject({ id, hosts: [host.client_id] });
    const patched = await gh.api('PATCH', path, { token: admin, body: { hosts: [stranger.client_id] } });
    expect(patched.body.hosts).toEqual([stranger.client_id]);
    expect((await exchange(host, token)).status).toBe(400);
    expect((await exchange(stranger, token)).status).toBe(200);
    expect((await gh.api('DELETE', path, { token: admin })).status).toBe(204);
    expect((await exchange(stranger, token)).status).toBe(400);
    expect((await gh.api('GET', path, { token: admin })).status).toBe(404);

    const again = (await create(userToken)).body as { token: string };
    const all = await gh.api('POST', `/v1/orgs/${org.id}/users/${userId}/revoke-tokens`, { token: admin });
    expect(all.body).toMatchObject({ managed_tokens_ended: 1 });
    expect((await exchange(host, again.token)).status).toBe(400);
    // Tokens from the mark's own second are dead too: sign in again once it has passed.
    const validFrom = Date.parse(all.body.tokens_valid_from as string);
    await new Promise((r) => setTimeout(r, Math.max(0, validFrom - Date.now() + 50)));
    userToken = (await signIn()).access_token;
    const mine = (await create(userToken)).body as { token: string };
    expect((await gh.api('DELETE', '/v1/me/managed-token', { token: userToken })).status).toBe(204);
    expect((await exchange(host, mine.token)).status).toBe(400);
  });

  it('many source addresses: flagged with evidence, suspended by the org policy, cleared by an operator', async () => {
    const settings = await gh.api('PUT', '/v1/anomalies/settings', {
      token: admin,
      body: { managed_token_addresses: { limit: 2, window_s: 3600 } },
    });
    expect(settings.status).toBe(200);
    expect(settings.body.managed_token_addresses).toEqual({ limit: 2, window_s: 3600 });
    expect((await gh.api('GET', `/v1/orgs/${org.id}/anomaly-policy`, { token: admin })).body).toEqual({
      org_id: org.id,
      auto_suspend: false,
    });
    await gh.api('PUT', `/v1/orgs/${org.id}/anomaly-policy`, { token: admin, body: { auto_suspend: true } });
    const { token, id } = (await create(userToken)).body as { token: string; id: string };
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      expect((await exchange(host, token, {}, ip)).status).toBe(200);
    }
    const list = await gh.api('GET', `/v1/anomalies?org=${org.id}&kind=managed_token_addresses&state=open`, {
      token: admin,
    });
    expect(list.status).toBe(200);
    const flags = list.body.items as Body[];
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({
      id: expect.stringMatching(/^ano_/),
      kind: 'managed_token_addresses',
      state: 'open',
      subject: { type: 'managed_token', id },
      suspended: true,
      evidence: { count: 3, limit: 2, window_s: 3600, user_id: userId },
      audit_url: expect.stringMatching(new RegExp(`^/v1/audit\\?target=${id}&action=token.exchanged&since=`)),
    });
    expect(((flags[0].evidence as Body).addresses as string[]).sort()).toEqual([
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
    ]);
    const linked = await gh.api('GET', flags[0].audit_url as string, { token: admin });
    expect(linked.status).toBe(200);

    const suspended = await exchange(host, token);
    expect(suspended.status).toBe(403);
    expect(suspended.body).toMatchObject({
      error: 'access_denied',
      reason: 'anomaly_review_pending',
      recovery: expect.stringContaining('/v1/anomalies'),
      decision_id: expect.stringMatching(/^dec_/),
    });
    expect((await audit('managed_token.suspended')).at(-1)).toMatchObject({ target_id: id });
    expect((await audit('anomaly.flagged')).at(-1)).toMatchObject({ target_id: id });

    const ack = await gh.api('POST', `/v1/anomalies/${flags[0].id}/acknowledge`, { token: admin, body: {} });
    expect(ack.body.state).toBe('acknowledged');
    expect((await exchange(host, token)).status).toBe(403);
    const cleared = await gh.api('POST', `/v1/anomalies/${flags[0].id}/clear`, {
      token: admin,
      body: { note: 'the agent moved between regions' },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ state: 'cleared', note: 'the agent moved between regions' });
    expect((await exchange(host, token)).status).toBe(200);
  });

  it('an unusual exchange rate is flagged; under the default policy the token keeps working', async () => {
    await gh.api('PUT', `/v1/orgs/${org.id}/anomaly-policy`, { token: admin, body: { auto_suspend: false } });
    await gh.api('PUT', '/v1/anomalies/settings', {
      token: admin,
      body: { exchange_rate: { limit: 2, window_s: 3600 } },
    });
    const { token, id } = (await create(userToken)).body as { token: string; id: string };
    for (let i = 0; i < 4; i++) expect((await exchange(host, token)).status).toBe(200);
    const list = await gh.api('GET', `/v1/anomalies?kind=exchange_rate`, { token: admin });
    expect(list.body.items).toEqual([
      expect.objectContaining({ subject: { type: 'managed_token', id }, suspended: false, state: 'open' }),
    ]);
    expect((list.body.items as Body[])[0].evidence).toMatchObject({ count: 3, limit: 2 });
  });

  it('a burst of refusals for one principal is flagged', async () => {
    await gh.api('PUT', '/v1/anomalies/settings', {
      token: admin,
      body: { refusal_burst: { limit: 3, window_s: 3600 } },
    });
    const { token } = (await create(userToken)).body as { token: string };
    for (let i = 0; i < 4; i++) expect((await exchange(stranger, token)).status).toBe(400);
    const list = await gh.api('GET', `/v1/anomalies?kind=refusal_burst`, { token: admin });
    expect(list.body.items).toEqual([
      expect.objectContaining({ org_id: org.id, subject: { type: 'principal', id: stranger.client_id } }),
    ]);
    expect((list.body.items as Body[])[0].audit_url).toMatch(
      new RegExp(`^/v1/audit\\?actor=${stranger.client_id}&outcome=failure&since=`),
    );
  });

  it('repeated MFA failures of an administrator are flagged, visible to platform admins', async () => {
    await gh.api('PUT', '/v1/anomalies/settings', {
      token: admin,
      body: { mfa_failures: { limit: 1, window_s: 3600 } },
    });
    const other = await cliCreateAdmin(gh, { platform: true });
    const first = await gh.api('POST', '/v1/admin/login', { body: { email: other.email, password: other.password } });
    for (let i = 0; i < 2; i++) {
      const r = await gh.api('POST', '/v1/admin/login/mfa', {
        body: { mfa_token: first.body.mfa_token, code: '000000' },
      });
      expect(r.status).toBe(401);
    }
    const list = await gh.api('GET', `/v1/anomalies?kind=mfa_failures`, { token: admin });
    expect(list.body.items).toEqual([
      expect.objectContaining({ org_id: null, subject: { type: 'administrator', id: other.id } }),
    ]);
    expect((list.body.items as Body[])[0].evidence).toMatchObject({ count: 2, limit: 1 });
  });

  it('flags a refresh-token reuse', async () => {
    const session = await signIn();
    const refresh = (rt: string) =>
      form(null, { grant_type: 'refresh_token', client_id: web.client_id, refresh_token: rt });
    expect((await refresh(session.refresh_token)).status).toBe(200);
    expect((await refresh(session.refresh_token)).status).toBe(400);
    const list = await gh.api('GET', `/v1/anomalies?kind=refresh_token_reuse`, { token: admin });
    expect(list.body.items).toEqual([
      expect.objectContaining({
        kind: 'refresh_token_reuse',
        org_id: org.id,
        evidence: expect.objectContaining({ principal: userId }),
      }),
    ]);
  });
  it('a new password or disabling the user ends it', async () => {
    const { token } = (await create(userToken)).body as { token: string };
    const userPath = `/v1/orgs/${org.id}/users/${userId}`;
    const changed = await gh.api('PATCH', userPath, { token: admin, body: { password: 'Another-Strong-Pass-43' } });
    expect(changed.status).toBe(200);
    expect((await exchange(host, token)).status).toBe(400);
    const [row] = await gh.sql<{ revoked_why: string }>(
      `SELECT revoked_why FROM managed_tokens WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [userId],
    );
    expect(row!.revoked_why).toBe('password_changed');
  });
});
