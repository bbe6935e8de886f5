import { startGatehouse, type TestGatehouse } from './support/gatehouse';
import { controlFixture, evaluate, type ControlFixture } from './support/control';

/**
 * The control layer's state API and decision endpoint (issue 12): each blocked state set
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
