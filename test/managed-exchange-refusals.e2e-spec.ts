import { randomBytes } from 'node:crypto';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

type App = { client_id: string; client_secret: string };
type Body = Record<string, unknown>;
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const MANAGED = 'urn:gatehouse:params:oauth:token-type:managed';
const AT = 'urn:ietf:params:oauth:token-type:access_token';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * What a managed exchange refuses (docs/managed-tokens.md#exchange): a `step` (a managed
 * exchange serves no workflow step, so a paused workflow cannot be slipped past), and any
 * caller that is not the token's host — with one answer, whether the secret is live, revoked,
 * regenerated, unknown or malformed: the same status, the same body, the same work and so
 * about the same time, and an audit row in the caller's org that tells nothing either.
 */
describe('managed exchange refusals', () => {
  let gh: TestGatehouse;
  let admin: string;
  let acme: { id: string };
  let globex: { id: string };
  let web: App;
  let host: App;
  let stranger: App; // acme, exchange-enabled, not a host
  let foreign: App; // globex, exchange-enabled
  let userToken: string;
  const password = 'User-Strong-Pass-42';

  const form = (client: App, params: Record<string, string>) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams(params).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Body, text: '' }));
  const exchange = (client: App, managed: string, extra: Record<string, string> = {}) =>
    form(client, { grant_type: EXCHANGE, subject_token: managed, subject_token_type: MANAGED, ...extra });
  const createManaged = async () => {
    const r = await gh.api('POST', '/v1/me/managed-token', { token: userToken, body: { hosts: [host.client_id] } });
    expect(r.status).toBe(201);
    return r.body as { id: string; token: string };
  };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: true });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    acme = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    globex = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } })).body;
    const mkApp = async (orgId: string, name: string, grantTypes: string[]) =>
      (
        await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
          token: admin,
          body: { password_login: true, name, scopes: ['invoices:read'], grant_types: grantTypes },
        })
      ).body as App;
    web = await mkApp(acme.id, 'web', ['client_credentials', 'refresh_token']);
    host = await mkApp(acme.id, 'agent-host', ['client_credentials', EXCHANGE]);
    stranger = await mkApp(acme.id, 'stranger', ['client_credentials', EXCHANGE]);
    foreign = await mkApp(globex.id, 'foreign', ['client_credentials', EXCHANGE]);
    await gh.api('POST', `/v1/orgs/${acme.id}/users`, { token: admin, body: { email: 'dana@acme.test', password } });
    userToken = (
      await gh.api('POST', `/v1/orgs/${acme.id}/users/login`, {
        body: { client_id: web.client_id, email: 'dana@acme.test', password },
      })
    ).body.access_token as string;
  });
  afterAll(async () => {
    await gh?.close();
  });

  it('refuses `step` with invalid_request instead of dropping it, so a paused workflow stays paused', async () => {
    const paused = await gh.api('POST', `/v1/orgs/${acme.id}/pauses`, {
      token: admin,
      body: { target: { type: 'workflow', id: 'nightly' }, reason: 'runaway job' },
    });
    expect(paused.status).toBe(201);
    const { token } = await createManaged();
    // An ordinary exchange for the paused step is stopped by governance…
    const e1 = await exchange(host, token);
    expect(e1.status).toBe(200);
    const ordinary = await form(host, {
      grant_type: EXCHANGE,
      subject_token: e1.body.access_token as string,
      subject_token_type: AT,
      step: 'nightly',
    });
    expect(ordinary.status).toBe(403);
    expect(ordinary.body.reason).toBe('governance_paused');
    // …and a managed exchange naming a step is refused outright, paused or not.
    for (const step of ['nightly', 'daily']) {
      const managed = await exchange(host, token, { step });
      expect(managed.status).toBe(400);
      expect(managed.body).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/no step/) });
      expect(managed.body).not.toHaveProperty('access_token');
    }
    const [row] = await gh.sql<{ details: Body }>(
      `SELECT details FROM audit_events WHERE action = 'token.exchanged' AND outcome = 'failure' ORDER BY seq DESC LIMIT 1`,
    );
    expect(row.details).toMatchObject({ subject_type: 'managed', error: 'invalid_request' });
  });

  it('answers a non-host the same for a live, revoked, regenerated, unknown or malformed secret', async () => {
    const revoked = await createManaged();
    expect((await gh.api('DELETE', '/v1/me/managed-token', { token: userToken })).status).toBe(204);
    const regenerated = await createManaged();
    const live = await createManaged();
    const subjects = {
      live: live.token,
      revoked: revoked.token,
      regenerated: regenerated.token,
      unknown: `ghm_${randomBytes(32).toString('base64url')}`,
      malformed: 'not-a-managed-token',
    };
    for (const caller of [stranger, foreign]) {
      const answers = await Promise.all(Object.values(subjects).map((s) => exchange(caller, s)));
      for (const a of answers) {
        expect(a.status).toBe(400);
        expect(a.body).toEqual(answers[0].body);
      }
      expect(answers[0].body).toEqual({
        error: 'invalid_request',
        error_description: 'The subject_token is invalid or revoked.',
      });
    }
    // The host itself still gets its token: the live secret really is live.
    expect((await exchange(host, live.token)).status).toBe(200);

    // The same work on every path: interleaved, the live and the dead secrets take about as long.
    const times: Record<'live' | 'revoked' | 'unknown', number[]> = { live: [], revoked: [], unknown: [] };
    for (let i = 0; i < 25; i++) {
      for (const kind of ['live', 'revoked', 'unknown'] as const) {
        const started = performance.now();
        expect((await exchange(foreign, subjects[kind])).status).toBe(400);
        times[kind].push(performance.now() - started);
      }
    }
    const [mLive, mRevoked, mUnknown] = [median(times.live), median(times.revoked), median(times.unknown)];
    for (const m of [mRevoked, mUnknown]) expect(Math.abs(mLive - m)).toBeLessThan(Math.max(10, 0.5 * m));

    // Another org's audit log tells its admins nothing either: no managed token id, one rule.
    const rows = await gh.sql<{ target_id: string | null; details: Body; reason: string }>(
      `SELECT target_id, details, reason FROM audit_events WHERE action = 'token.exchanged' AND actor_id = $1`,
      [foreign.client_id],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.target_id).toBeNull();
      expect(r.details).not.toHaveProperty('managed_token_id');
      expect(r.details.rule).toBe('unknown managed token');
      expect(r.reason).toBe('The subject_token is invalid or revoked.');
    }
  });
});
