import {
  clientPost,
  cliCreateAdmin,
  loginAdmin,
  runGatehouseCli,
  startGatehouse,
  type TestGatehouse,
} from './support/gatehouse';
import { clientCredentials, controlFixture, evaluate, type ControlFixture } from './support/control';

/**
 * The control layer's state API and decision endpoint (docs/control.md): each blocked state set
 * through the API is refused at POST /access/v1/evaluation with its code and recovery text,
 * the recovery is taken, the next evaluation allows, and the audit log holds the trail.
 */
describe('control state and AuthZEN decisions', () => {
  let gh: TestGatehouse;
  let f: ControlFixture;
  const ask = (subject: { type: string; id: string }, action = 'read', resource = { type: 'doc', id: 'd1' }) =>
    evaluate(gh, f, { subject, action: { name: action }, resource });

  beforeAll(async () => {
    gh = await startGatehouse();
    f = await controlFixture(gh);
  });
  afterAll(() => gh?.close());

  it('a new organization is in good standing and says so', async () => {
    const res = await gh.api('GET', `/v1/orgs/${f.orgId}/control`, { token: f.admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      org_id: f.orgId,
      contract: { status: 'active', contract_read_only: false },
      billing: { status: 'active', grace_days: 7, decision_table: { past_due: 'allow_within_grace', unpaid: 'deny' } },
      entitlements: [],
      policy: { required_version: null },
      pauses: [],
      decision: { outcome: 'allow' },
    });
    const d = await ask({ type: 'user', id: f.user.id });
    expect(d.status).toBe(200);
    expect(d.body).toEqual({
      decision: true,
      context: { decision_id: expect.stringMatching(/^dec_/), outcome: 'allow' },
    });
  });

  it('publishes the AuthZEN metadata and the reason table', async () => {
    const meta = await gh.api('GET', '/.well-known/authzen-configuration');
    expect(meta.body).toEqual({
      policy_decision_point: gh.url,
      access_evaluation_endpoint: `${gh.url}/access/v1/evaluation`,
      access_evaluations_endpoint: `${gh.url}/access/v1/evaluations`,
    });
    const reasons = await gh.api('GET', '/v1/control/reasons', { token: f.admin });
    expect(reasons.body.data.map((r: { code: string }) => r.code)).toEqual([
      'org_membership_missing',
      'governance_paused',
      'contract_inactive',
      'billing_not_in_good_standing',
      'entitlement_not_granted',
      'policy_not_accepted',
      'approval_required',
    ]);
  });

  it('refuses a client without credentials, and a subject of another org is not a member', async () => {
    const anon = await gh.api('POST', '/access/v1/evaluation', {
      body: { subject: { type: 'user', id: f.user.id }, action: { name: 'read' }, resource: { type: 'doc', id: 'd' } },
    });
    expect(anon.status).toBe(401);
    const other = await controlFixture(gh);
    const d = await ask({ type: 'user', id: other.user.id });
    expect(d.body).toMatchObject({ decision: false, context: { code: 'org_membership_missing' } });
  });

  it('decisions do not spend the app’s token rate: a PEP asks once per request it serves', async () => {
    const tight = await controlFixture(gh, { token_rate_limit: { requests: 2, per_seconds: 60 } });
    const ask = () =>
      evaluate(gh, tight, {
        subject: { type: 'user', id: tight.user.id },
        action: { name: 'read' },
        resource: { type: 'doc', id: 'd1' },
      });
    for (let i = 0; i < 5; i++) expect((await ask()).status).toBe(200);
    // The token rate is untouched: two tokens, then 429.
    expect((await clientCredentials(gh, tight)).status).toBe(200);
    expect((await clientCredentials(gh, tight)).status).toBe(200);
    expect((await clientCredentials(gh, tight)).status).toBe(429);
    expect((await ask()).body.decision).toBe(true);
    // A wrong secret is still 401 problem+json.
    const wrong = await evaluate(
      gh,
      { ...tight, app: { ...tight.app, client_secret: 'nope' } },
      { subject: { type: 'user', id: tight.user.id }, action: { name: 'read' }, resource: { type: 'doc', id: 'd1' } },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_client');
  });

  it('batches evaluations (AuthZEN §7): items inherit the request, and the semantic may stop early', async () => {
    await gh.api('PUT', `/v1/orgs/${f.orgId}/approval-rules`, { token: f.admin, body: { actions: ['delete'] } });
    const body = (semantic?: string) => ({
      subject: { type: 'app', id: f.app.client_id },
      resource: { type: 'doc', id: 'd1' },
      evaluations: [{ action: { name: 'read' } }, { action: { name: 'delete' } }, { action: { name: 'list' } }],
      ...(semantic ? { options: { evaluations_semantic: semantic } } : {}),
    });
    const all = await evaluate(gh, f, body(), '/access/v1/evaluations');
    expect(all.status).toBe(200);
    expect(all.body.evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([true, false, true]);
    expect(all.body.evaluations[1].context).toMatchObject({ outcome: 'review', code: 'approval_required' });
    const firstDeny = await evaluate(gh, f, body('deny_on_first_deny'), '/access/v1/evaluations');
    expect(firstDeny.body.evaluations).toHaveLength(2);
    const firstPermit = await evaluate(gh, f, body('permit_on_first_permit'), '/access/v1/evaluations');
    expect(firstPermit.body.evaluations).toHaveLength(1);
    const incomplete = await evaluate(gh, f, { evaluations: [{ action: { name: 'read' } }] }, '/access/v1/evaluations');
    expect(incomplete.status).toBe(400);
    const malformed = await evaluate(gh, f, { subject: { type: 'app' }, action: { name: 'read' } });
    expect(malformed.status).toBe(400);
    await gh.api('PUT', `/v1/orgs/${f.orgId}/approval-rules`, { token: f.admin, body: { actions: [] } });
  });

  it('a token subject is decided with its own claims; a bad token is not', async () => {
    const token = (await clientPost(gh.url, f.app, '/oauth/token', { grant_type: 'client_credentials' }).then((r) =>
      r.json(),
    )) as { access_token: string };
    const ask = (id: string) =>
      evaluate(gh, f, { subject: { type: 'token', id }, action: { name: 'read' }, resource: { type: 'doc', id: 'd' } });
    expect((await ask(token.access_token)).body.decision).toBe(true);
    expect((await ask('not-a-token')).body).toMatchObject({ decision: false, context: { code: 'invalid_token' } });
  });

  it('simulates a change without applying it: which apps, users and routes it would stop', async () => {
    const login = await gh.api('POST', `/v1/orgs/${f.orgId}/users/login`, {
      body: { client_id: f.app.client_id, email: f.user.email, password: f.user.password },
    });
    expect(login.status).toBe(200);
    const sim = await gh.api('POST', `/v1/orgs/${f.orgId}/control/simulate`, {
      token: f.admin,
      body: {
        contract: { status: 'suspended', contract_read_only: true },
        routes: [
          { method: 'GET', path: '/v1/me' },
          { method: 'POST', path: '/v1/me/policy-acceptances' },
        ],
      },
    });
    expect(sim.status).toBe(200);
    expect(sim.body).toEqual({
      applied: false,
      would_stop: {
        apps: [],
        users: [],
        routes: [
          {
            client_id: f.app.client_id,
            method: 'POST',
            path: '/v1/me/policy-acceptances',
            outcome: 'deny',
            code: 'contract_inactive',
          },
        ],
      },
    });
    const full = await gh.api('POST', `/v1/orgs/${f.orgId}/control/simulate`, {
      token: f.admin,
      body: { billing: { status: 'canceled' } },
    });
    expect(full.body.would_stop).toMatchObject({
      apps: [{ client_id: f.app.client_id, code: 'billing_not_in_good_standing' }],
      users: [
        { user_id: f.user.id, email: f.user.email, client_id: f.app.client_id, code: 'billing_not_in_good_standing' },
      ],
    });
    expect((await gh.api('GET', `/v1/orgs/${f.orgId}/control`, { token: f.admin })).body.billing.status).toBe('active');
    const bad = await gh.api('POST', `/v1/orgs/${f.orgId}/control/simulate`, {
      token: f.admin,
      body: { billing: { status: 'bankrupt' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('validates the state API: unknown fields, bad values, other orgs', async () => {
    const put = (path: string, body: unknown, token = f.admin) =>
      gh.api('PUT', `/v1/orgs/${f.orgId}${path}`, { token, body });
    expect((await put('/contract', { status: 'paused' })).status).toBe(400);
    expect((await put('/contract', { status: 'active', ends_at: 'tomorrow' })).status).toBe(400);
    expect(
      (await put('/contract', { status: 'active', starts_at: '2027-01-01T00:00:00Z', ends_at: '2026-01-01T00:00:00Z' }))
        .status,
    ).toBe(400);
    expect((await put('/billing', { status: 'active', grace: 3 })).body.code).toBe('validation_failed');
    expect((await put('/entitlements/Bad%20Name', { status: 'active' })).status).toBe(400);
    expect((await gh.api('DELETE', `/v1/orgs/${f.orgId}/entitlements/never-granted`, { token: f.admin })).status).toBe(
      404,
    );
    expect(
      (await gh.api('POST', `/v1/orgs/${f.orgId}/policy/acceptances`, { token: f.admin, body: { version: 'v9' } }))
        .status,
    ).toBe(409);
    expect(
      (
        await gh.api('POST', `/v1/orgs/${f.orgId}/pauses`, {
          token: f.admin,
          body: { target: { type: 'app' }, reason: 'x' },
        })
      ).status,
    ).toBe(400);
    // An org admin of another org sees nothing of this one.
    const other = await controlFixture(gh);
    expect((await gh.api('GET', `/v1/orgs/${f.orgId}/control`, { token: other.admin })).status).toBe(200);
    const stranger = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: false, orgIds: [other.orgId] })))
      .access_token;
    expect((await gh.api('GET', `/v1/orgs/${f.orgId}/control`, { token: stranger })).status).toBe(404);
    expect((await put('/contract', { status: 'suspended' }, stranger)).status).toBe(404);
  });

  it('gatehouse control: pause, show, resume and reasons from the CLI, audited as cli', async () => {
    const cli = (...args: string[]) => runGatehouseCli(gh, ['control', ...args]);
    const refused = await cli('pause', '--org', f.orgId);
    expect(refused.code).toBe(2);
    expect(refused.err.join('\n')).toMatch(/--reason/);
    const paused = await cli('pause', '--org', f.orgId, '--workflow', 'nightly-sync', '--reason', 'runaway job');
    expect(paused.code).toBe(0);
    const pause = JSON.parse(paused.out.join('\n'));
    expect(pause).toMatchObject({
      id: expect.stringMatching(/^pau_/),
      target: { type: 'workflow', id: 'nightly-sync' },
      paused_by: 'cli',
    });
    const shown = JSON.parse((await cli('show', '--org', f.orgId)).out.join('\n'));
    expect(shown.pauses.map((p: { id: string }) => p.id)).toEqual([pause.id]);
    const ask = (workflow: string) =>
      evaluate(gh, f, {
        subject: { type: 'app', id: f.app.client_id },
        action: { name: 'run' },
        resource: { type: 'job', id: 'j1' },
        context: { workflow },
      });
    expect((await ask('nightly-sync')).body.context.code).toBe('governance_paused');
    expect((await ask('other')).body.decision).toBe(true);
    expect((await cli('resume', '--org', f.orgId, '--pause', pause.id, '--note', 'capped')).code).toBe(0);
    expect((await ask('nightly-sync')).body.decision).toBe(true);
    const reasons = await cli('reasons');
    expect(reasons.out.join('\n')).toMatch(/^governance_paused: Resume after operator review\.$/m);
    const [row] = await gh.sql<{ actor_id: string; reason: string }>(
      `SELECT actor_id, reason FROM audit_events WHERE action = 'control.resumed' AND details->>'pause_id' = $1`,
      [pause.id],
    );
    expect(row).toEqual({ actor_id: 'cli', reason: 'capped' });
  });

  const cases: {
    name: string;
    code: string;
    recovery: RegExp;
    block: () => Promise<unknown>;
    recover: () => Promise<unknown>;
  }[] = [
    {
      name: 'a suspended contract',
      code: 'contract_inactive',
      recovery: /renew or restore the contract/i,
      block: () =>
        gh.api('PUT', `/v1/orgs/${f.orgId}/contract`, {
          token: f.admin,
          body: { status: 'suspended', reason: 'unpaid invoice' },
        }),
      recover: () =>
        gh.api('PUT', `/v1/orgs/${f.orgId}/contract`, {
          token: f.admin,
          body: { status: 'active', reason: 'renewed' },
        }),
    },
    {
      name: 'unpaid billing',
      code: 'billing_not_in_good_standing',
      recovery: /resolve the billing state/i,
      block: () => gh.api('PUT', `/v1/orgs/${f.orgId}/billing`, { token: f.admin, body: { status: 'unpaid' } }),
      recover: () => gh.api('PUT', `/v1/orgs/${f.orgId}/billing`, { token: f.admin, body: { status: 'active' } }),
    },
    {
      name: 'an org-wide pause',
      code: 'governance_paused',
      recovery: /resume after operator review/i,
      block: () =>
        gh.api('POST', `/v1/orgs/${f.orgId}/pauses`, {
          token: f.admin,
          body: { target: { type: 'org' }, reason: 'incident 42' },
        }),
      recover: async () => {
        const [p] = (await gh.api('GET', `/v1/orgs/${f.orgId}/pauses`, { token: f.admin })).body.data;
        return gh.api('POST', `/v1/orgs/${f.orgId}/pauses/${p.id}/resume`, {
          token: f.admin,
          body: { review_note: 'root cause fixed' },
        });
      },
    },
  ];

  it.each(cases)('$name: refused with its code and recovery, then allowed once recovered', async (c) => {
    expect(((await c.block()) as { status: number }).status).toBeLessThan(300);
    const refused = await ask({ type: 'app', id: f.app.client_id });
    expect(refused.body).toEqual({
      decision: false,
      context: {
        decision_id: expect.stringMatching(/^dec_/),
        outcome: 'deny',
        code: c.code,
        reason_user: expect.any(String),
        reason_admin: expect.stringContaining(refused.body.context.decision_id),
        recovery: expect.stringMatching(c.recovery),
      },
    });
    const state = await gh.api('GET', `/v1/orgs/${f.orgId}/control`, { token: f.admin });
    expect(state.body.decision).toMatchObject({ outcome: 'deny', code: c.code });
    expect(((await c.recover()) as { status: number }).status).toBeLessThan(300);
    expect((await ask({ type: 'app', id: f.app.client_id })).body.decision).toBe(true);
    const [row] = await gh.sql<{ reason: string; details: { decision_id: string; point: string; inputs: object } }>(
      `SELECT reason, details FROM audit_events WHERE action = 'access.denied' AND details->>'decision_id' = $1`,
      [refused.body.context.decision_id],
    );
    expect(row).toMatchObject({ reason: c.code, details: { point: 'decision', inputs: expect.any(Object) } });
  });
});
