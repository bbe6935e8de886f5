import { cliCreateAdmin, loginAdmin, startGatehouse, type ApiResponse, type TestGatehouse } from './support/gatehouse';
import { clientCredentials, controlFixture, stripeDelivery, type ControlFixture } from './support/control';

const SECRET = 'whsec_test_operator_owned_0123456789ab';
type Body = Record<string, unknown>;

/**
 * Commercial stops belong to the operator (docs/control.md#who-changes-what): contract,
 * billing, entitlements, the package map and pauses a platform administrator imposed change
 * only by a platform administrator (billing also by the signed Stripe webhook). An org
 * administrator is refused with 403 problem+json `operator_owned`, sees the state and asks
 * for a review through an approval request the operator answers; the pauses it imposed
 * stay its own. Audit rows name who changed — or tried to change — what.
 */
describe('operator-owned control state', () => {
  let gh: TestGatehouse;
  let f: ControlFixture;
  let orgAdmin: string;
  let orgAdminId: string;
  let platformId: string;

  const as = (token: string) => (method: string, path: string, body?: unknown) =>
    gh.api(method, `/v1/orgs/${f.orgId}${path}`, { token, body });
  const expectOperatorOwned = (r: ApiResponse, subject: string) => {
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({
      status: 403,
      code: 'operator_owned',
      owner: 'operator',
      subject,
      review: { method: 'POST', path: `/v1/orgs/${f.orgId}/control/review-requests` },
    });
    expect(r.text).not.toMatch(/at .*\.ts:\d+/);
  };
  const control = async () => (await as(f.admin)('GET', '/control')).body as Body;
  const auditRows = (action: string) =>
    gh.sql<{ outcome: string; actor_id: string; reason: string | null; details: Body }>(
      `SELECT outcome, actor_id, reason, details FROM audit_events WHERE action = $1 AND org_id = $2 ORDER BY seq`,
      [action, f.orgId],
    );

  beforeAll(async () => {
    gh = await startGatehouse({ env: { GATEHOUSE_STRIPE_WEBHOOK_SECRET: SECRET } });
    f = await controlFixture(gh, { packages: ['agents'] });
    const cli = await cliCreateAdmin(gh, { orgIds: [f.orgId] });
    orgAdminId = cli.id;
    orgAdmin = (await loginAdmin(gh, cli)).access_token;
    platformId = (await gh.api('GET', '/v1/me', { token: f.admin })).body.id as string;
  });
  afterAll(() => gh?.close());

  it('refuses an org admin every change of contract, billing, entitlements and package map', async () => {
    const platform = as(f.admin);
    const admin = as(orgAdmin);
    expect((await platform('PUT', '/contract', { status: 'suspended', reason: 'unpaid invoice 41' })).status).toBe(200);
    expect((await platform('PUT', '/billing', { status: 'unpaid' })).status).toBe(200);
    expect((await platform('PUT', '/entitlements/agents', { status: 'inactive' })).status).toBe(200);
    expect((await platform('PUT', '/package-map', { scopes: { 'things:read': 'agents' } })).status).toBe(200);
    expect((await clientCredentials(gh, f)).status).toBe(403);

    expectOperatorOwned(await admin('PUT', '/contract', { status: 'active' }), 'contract');
    expectOperatorOwned(await admin('PUT', '/billing', { status: 'active' }), 'billing');
    expectOperatorOwned(await admin('PUT', '/entitlements/agents', { status: 'active' }), 'entitlements');
    expectOperatorOwned(await admin('PUT', '/entitlements/other', { status: 'active' }), 'entitlements');
    expectOperatorOwned(await admin('DELETE', '/entitlements/agents'), 'entitlements');
    expectOperatorOwned(await admin('PUT', '/package-map', {}), 'package_map');

    // Nothing changed; the org admin sees the state, the reason and the recovery text.
    const seen = (await admin('GET', '/control')).body as Body;
    expect(seen).toMatchObject({
      operator_owned: ['contract', 'billing', 'entitlements', 'package_map'],
      contract: { status: 'suspended' },
      billing: { status: 'unpaid' },
      package_map: { scopes: { 'things:read': 'agents' } },
      decision: { outcome: 'deny', code: 'contract_inactive', recovery: expect.any(String) },
    });
    expect(seen.entitlements).toEqual(
      expect.arrayContaining([expect.objectContaining({ package: 'agents', status: 'inactive' })]),
    );
    expect((await clientCredentials(gh, f)).status).toBe(403);

    // Audit: who tried, and who changed.
    const contract = await auditRows('control.contract.changed');
    expect(contract).toEqual([
      expect.objectContaining({
        outcome: 'success',
        actor_id: platformId,
        details: expect.objectContaining({ by: 'platform_admin', to: 'suspended' }),
      }),
      expect.objectContaining({
        outcome: 'failure',
        actor_id: orgAdminId,
        reason: 'operator_owned',
        details: expect.objectContaining({ by: 'org_admin', to: 'active' }),
      }),
    ]);
    expect((await auditRows('control.billing.changed')).at(-1)).toMatchObject({
      outcome: 'failure',
      actor_id: orgAdminId,
      details: { by: 'org_admin', to: 'active' },
    });

    // The signed Stripe webhook still moves billing; the operator restores the rest.
    const event = {
      id: 'evt_operator_owned_1',
      object: 'event',
      type: 'customer.subscription.updated',
      data: {
        object: {
          id: 'sub_1',
          object: 'subscription',
          customer: 'cus_1',
          status: 'active',
          metadata: { org_id: f.orgId },
        },
      },
    };
    expect((await stripeDelivery(gh, SECRET, event)).status).toBe(200);
    expect(((await control()).billing as Body).status).toBe('active');
    expect((await auditRows('control.billing.changed')).at(-1)).toMatchObject({
      actor_id: 'stripe',
      details: { by: 'stripe' },
    });
    expect((await platform('PUT', '/contract', { status: 'active' })).status).toBe(200);
    expect((await platform('PUT', '/entitlements/agents', { status: 'active' })).status).toBe(200);
    expect((await platform('PUT', '/package-map', {})).status).toBe(200);
    expect((await clientCredentials(gh, f)).status).toBe(200);
  });

  it("an operator's pause is the operator's to lift; an org admin's own pause stays its own", async () => {
    const platform = as(f.admin);
    const admin = as(orgAdmin);
    const imposed = await platform('POST', '/pauses', { target: { type: 'org' }, reason: 'fraud review' });
    expect(imposed.status).toBe(201);
    expect(imposed.body.imposed_by).toBe('operator');
    expectOperatorOwned(
      await admin('POST', `/pauses/${imposed.body.id}/resume`, { review_note: 'we are fine' }),
      'pause',
    );
    expect((await clientCredentials(gh, f)).status).toBe(403);
    expect((await auditRows('control.resumed')).at(-1)).toMatchObject({
      outcome: 'failure',
      actor_id: orgAdminId,
      reason: 'operator_owned',
      details: { pause_id: imposed.body.id, by: 'org_admin' },
    });

    const own = await admin('POST', '/pauses', { target: { type: 'workflow', id: 'nightly' }, reason: 'runaway job' });
    expect(own.status).toBe(201);
    expect(own.body.imposed_by).toBe('org_admin');
    expect((await admin('POST', `/pauses/${own.body.id}/resume`, { review_note: 'fixed the job' })).status).toBe(200);

    const lifted = await platform('POST', `/pauses/${imposed.body.id}/resume`, { review_note: 'cleared' });
    expect(lifted.status).toBe(200);
    expect((await auditRows('control.resumed')).at(-1)).toMatchObject({
      outcome: 'success',
      actor_id: platformId,
      details: { pause_id: imposed.body.id, by: 'platform_admin' },
    });
    expect((await clientCredentials(gh, f)).status).toBe(200);
  });

  it('an org admin asks for a review: an approval request only the operator answers', async () => {
    const platform = as(f.admin);
    const admin = as(orgAdmin);
    const asked = await admin('POST', '/control/review-requests', {
      subject: 'billing',
      note: 'Invoice 41 was paid by wire on Monday.',
    });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      id: expect.stringMatching(/^apr_/),
      rule: 'operator_review',
      state: 'pending',
      subject: { tier: 'admin', id: orgAdminId },
      action: 'control.review',
      resource: { type: 'billing' },
      note: 'Invoice 41 was paid by wire on Monday.',
    });
    expect((await admin('POST', '/control/review-requests', { subject: 'pause', note: 'x' })).status).toBe(400);
    expect(
      (
        await admin('POST', '/control/review-requests', {
          subject: 'pause',
          id: 'pau_01JZZZZZZZZZZZZZZZZZZZZZZZ',
          note: 'x',
        })
      ).status,
    ).toBe(404);

    const pending = await platform('GET', '/approvals?state=pending');
    expect((pending.body.data as Body[]).map((a) => a.id)).toContain(asked.body.id);
    expectOperatorOwned(
      await admin('POST', `/approvals/${asked.body.id}/approve`, { note: 'self-approved' }),
      'review',
    );
    const answered = await platform('POST', `/approvals/${asked.body.id}/reject`, { note: 'no wire received yet' });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ state: 'rejected', decided_by: platformId });
    expect((await auditRows('control.review_requested')).at(-1)).toMatchObject({
      outcome: 'success',
      actor_id: orgAdminId,
      details: { approval_id: asked.body.id, subject: 'billing', by: 'org_admin' },
    });
  });
});
