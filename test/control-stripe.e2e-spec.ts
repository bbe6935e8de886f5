import { signStripePayload } from '@gatehouse/control';
import { startGatehouse, type TestGatehouse } from './support/gatehouse';
import { clientCredentials, controlFixture, stripeDelivery, type ControlFixture } from './support/control';

const SECRET = 'whsec_test_0123456789abcdef0123456789';

/**
 * Stripe webhooks (docs/control.md): a correctly signed event changes the state; a wrong signature, a stale
 * timestamp and a replayed event are refused with nothing changed. Payloads are signed
 * here with Stripe's published scheme (HMAC-SHA256 of `t.payload`); no network.
 */
describe('Stripe webhook', () => {
  let gh: TestGatehouse;
  let f: ControlFixture;
  let n = 0;
  beforeAll(async () => {
    gh = await startGatehouse({ env: { GATEHOUSE_STRIPE_WEBHOOK_SECRET: SECRET } });
    f = await controlFixture(gh, { packages: ['agents'] });
  });
  afterAll(() => gh?.close());

  const subscription = (type: string, status: string) => ({
    id: `evt_test_${++n}`,
    object: 'event',
    type,
    data: {
      object: { id: 'sub_123', object: 'subscription', customer: 'cus_123', status, metadata: { org_id: f.orgId } },
    },
  });
  const billing = async () =>
    (await gh.api('GET', `/v1/orgs/${f.orgId}/control`, { token: f.admin })).body.billing.status;
  const events = async () => Number((await gh.sql<{ n: string }>('SELECT count(*) AS n FROM stripe_events'))[0]!.n);

  it('applies a signed subscription event to the org named in its metadata, audited as Stripe', async () => {
    const res = await stripeDelivery(gh, SECRET, subscription('customer.subscription.updated', 'past_due'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, applied: true, org_id: f.orgId });
    expect(await billing()).toBe('past_due');
    const [row] = await gh.sql<{ actor_id: string; actor_tier: string; details: object }>(
      `SELECT actor_id, actor_tier, details FROM audit_events WHERE action = 'control.billing.changed' AND org_id = $1`,
      [f.orgId],
    );
    expect(row).toEqual({
      actor_id: 'stripe',
      actor_tier: 'system',
      details: { from: 'active', to: 'past_due', grace_days: 7, by: 'stripe' },
    });
    // past_due is within its 7-day grace: the org's state alone still allows.
    expect((await gh.api('GET', `/v1/orgs/${f.orgId}/control`, { token: f.admin })).body.decision).toEqual({
      outcome: 'allow',
    });
  });

  it('refuses a wrong signature, a stale timestamp and a replay, changing nothing', async () => {
    const before = await events();
    const event = subscription('customer.subscription.updated', 'canceled');
    const payload = JSON.stringify(event);
    const now = Math.floor(Date.now() / 1000);
    const send = (sig: string, body = payload) =>
      gh.api('POST', '/v1/integrations/stripe/webhook', {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'stripe-signature': sig },
      });
    const wrong = await send(signStripePayload(payload, 'whsec_someone_else_entirely_000', now));
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // Signed over other bytes (a re-serialised body) is as wrong as a wrong key.
    expect((await send(signStripePayload(payload, SECRET, now), JSON.stringify(event, null, 2))).status).toBe(400);
    const stale = await send(signStripePayload(payload, SECRET, now - 301));
    expect(stale.status).toBe(400);
    expect(stale.body.detail).toMatch(/tolerance/);
    expect((await send('t=1,v0=abc')).status).toBe(400);
    expect(
      (
        await gh.api('POST', '/v1/integrations/stripe/webhook', {
          rawBody: payload,
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
    expect(await billing()).toBe('past_due');
    expect(await events()).toBe(before);

    const applied = await send(signStripePayload(payload, SECRET, now));
    expect(applied.status).toBe(200);
    expect(await billing()).toBe('canceled');
    await gh.api('PUT', `/v1/orgs/${f.orgId}/billing`, {
      token: f.admin,
      body: { status: 'active', reason: 'manual' },
    });
    const replay = await send(signStripePayload(payload, SECRET, now + 1));
    expect(replay.status).toBe(409);
    expect(await billing()).toBe('active');
    expect(await events()).toBe(before + 1);
  });

  it('a deleted subscription stops the org; entitlement summaries set its packages', async () => {
    await stripeDelivery(gh, SECRET, subscription('customer.subscription.deleted', 'active'));
    expect(await billing()).toBe('canceled');
    expect((await clientCredentials(gh, f)).body).toMatchObject({ reason: 'billing_not_in_good_standing' });
    await stripeDelivery(gh, SECRET, subscription('customer.subscription.created', 'active'));
    // The app needs `agents`, which nothing has granted yet.
    expect((await clientCredentials(gh, f)).body).toMatchObject({ reason: 'entitlement_not_granted' });
    const summary = (keys: string[]) => ({
      id: `evt_test_${++n}`,
      type: 'entitlements.active_entitlement_summary.updated',
      data: {
        object: {
          object: 'entitlements.active_entitlement_summary',
          customer: 'cus_123',
          entitlements: {
            object: 'list',
            data: keys.map((k) => ({ object: 'entitlements.active_entitlement', lookup_key: k })),
          },
        },
      },
    });
    expect((await stripeDelivery(gh, SECRET, summary(['agents', 'api']))).body.applied).toBe(true);
    expect((await clientCredentials(gh, f)).status).toBe(200);
    await stripeDelivery(gh, SECRET, summary(['api']));
    const state = (await gh.api('GET', `/v1/orgs/${f.orgId}/control`, { token: f.admin })).body;
    expect(state.entitlements).toEqual(
      expect.arrayContaining([
        { package: 'agents', status: 'inactive', expires_at: null },
        { package: 'api', status: 'active', expires_at: null },
      ]),
    );
    expect((await clientCredentials(gh, f)).body).toMatchObject({ reason: 'entitlement_not_granted' });
  });

  it('answers an event for no known org without applying it', async () => {
    const event = { ...subscription('customer.subscription.updated', 'unpaid'), id: 'evt_orphan' };
    event.data.object.metadata = { org_id: 'org_00000000000000000000000000' };
    expect((await stripeDelivery(gh, SECRET, event)).body).toEqual({ received: true, applied: false, org_id: null });
  });
});
