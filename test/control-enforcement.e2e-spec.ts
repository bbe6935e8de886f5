import { clientPost, startGatehouse, type TestGatehouse } from './support/gatehouse';
import {
  clientCredentials,
  controlFixture,
  evaluate,
  refresh,
  userSignIn,
  type ControlFixture,
} from './support/control';

/**
 * For each blocked state, set through the API, a client-credentials
 * request, a user sign-in, a refresh, a bearer call, an introspection and an evaluation are
 * refused with the reason's code and recovery text; the documented recovery is taken; the
 * same requests succeed on the next try; the audit log holds the reason trail.
 */
describe('the control layer stops every path, says why, and lets go after the recovery', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse();
  });
  afterAll(() => gh?.close());

  interface Case {
    name: string;
    code: string;
    recovery: RegExp;
    app?: Record<string, unknown>;
    setup?: (f: ControlFixture) => Promise<unknown>;
    block: (f: ControlFixture) => Promise<unknown>;
    recover: (f: ControlFixture, userToken: string) => Promise<unknown>;
  }
  const put = (f: ControlFixture, path: string, body: unknown) =>
    gh.api('PUT', `/v1/orgs/${f.orgId}${path}`, { token: f.admin, body });
  const ok = async (p: Promise<{ status: number; text: string }>) => {
    const r = await p;
    if (r.status >= 300) throw new Error(`${r.status} ${r.text}`);
    return r;
  };

  const cases: Case[] = [
    {
      name: 'suspended contract',
      code: 'contract_inactive',
      recovery: /renew or restore the contract/i,
      block: (f) => ok(put(f, '/contract', { status: 'suspended', reason: 'overdue invoice' })),
      recover: (f) => ok(put(f, '/contract', { status: 'active', reason: 'renewed' })),
    },
    {
      name: 'contract past its end date',
      code: 'contract_inactive',
      recovery: /renew or restore the contract/i,
      block: (f) =>
        ok(
          put(f, '/contract', { status: 'active', starts_at: '2025-01-01T00:00:00Z', ends_at: '2026-01-01T00:00:00Z' }),
        ),
      recover: (f) => ok(put(f, '/contract', { status: 'active', ends_at: '2099-01-01T00:00:00Z', reason: 'renewed' })),
    },
    {
      name: 'unpaid billing',
      code: 'billing_not_in_good_standing',
      recovery: /resolve the billing state and re-run the entitlement check/i,
      block: (f) => ok(put(f, '/billing', { status: 'unpaid' })),
      recover: (f) => ok(put(f, '/billing', { status: 'active' })),
    },
    {
      name: 'past_due beyond its grace period',
      code: 'billing_not_in_good_standing',
      recovery: /resolve the billing state/i,
      block: (f) => ok(put(f, '/billing', { status: 'past_due', grace_days: 0 })),
      recover: (f) => ok(put(f, '/billing', { status: 'past_due', grace_days: 7 })),
    },
    {
      name: 'org-wide governance pause',
      code: 'governance_paused',
      recovery: /resume after operator review/i,
      block: (f) =>
        ok(
          gh.api('POST', `/v1/orgs/${f.orgId}/pauses`, {
            token: f.admin,
            body: { target: { type: 'org' }, reason: 'incident' },
          }),
        ),
      recover: async (f) => {
        const [p] = (await gh.api('GET', `/v1/orgs/${f.orgId}/pauses`, { token: f.admin })).body.data;
        return ok(
          gh.api('POST', `/v1/orgs/${f.orgId}/pauses/${p.id}/resume`, {
            token: f.admin,
            body: { review_note: 'cleared' },
          }),
        );
      },
    },
    {
      name: 'app pause',
      code: 'governance_paused',
      recovery: /resume after operator review/i,
      block: (f) =>
        ok(
          gh.api('POST', `/v1/orgs/${f.orgId}/pauses`, {
            token: f.admin,
            body: { target: { type: 'app', id: f.app.client_id }, reason: 'leaked secret suspected' },
          }),
        ),
      recover: async (f) => {
        const [p] = (await gh.api('GET', `/v1/orgs/${f.orgId}/pauses`, { token: f.admin })).body.data;
        return ok(
          gh.api('POST', `/v1/orgs/${f.orgId}/pauses/${p.id}/resume`, {
            token: f.admin,
            body: { review_note: 'rotated' },
          }),
        );
      },
    },
    {
      name: 'entitlement not granted',
      code: 'entitlement_not_granted',
      recovery: /grant or activate the package/i,
      app: { packages: ['agents'] },
      setup: (f) => ok(put(f, '/entitlements/agents', { status: 'active' })),
      block: (f) => ok(put(f, '/entitlements/agents', { status: 'inactive', reason: 'downgrade' })),
      recover: (f) => ok(put(f, '/entitlements/agents', { status: 'active', reason: 'upgrade' })),
    },
    {
      name: 'policy not accepted',
      code: 'policy_not_accepted',
      recovery: /accept the active policy and retry/i,
      block: (f) => ok(put(f, '/policy', { required_version: '2026-12', document_url: 'https://acme.test/terms' })),
      recover: async (f, userToken) => {
        // The user accepts for itself with the token it holds (the one route left open) …
        await ok(gh.api('POST', '/v1/me/policy-acceptances', { token: userToken, body: { version: '2026-12' } }));
        // … and an org admin accepts for the org's apps.
        return ok(
          gh.api('POST', `/v1/orgs/${f.orgId}/policy/acceptances`, { token: f.admin, body: { version: '2026-12' } }),
        );
      },
    },
  ];

  it.each(cases)('$name', async (c) => {
    const f = await controlFixture(gh, c.app);
    await c.setup?.(f);
    const session = await userSignIn(gh, f);
    expect(session.status).toBe(200);
    const subject = { type: 'user', id: f.user.id, properties: { client_id: f.app.client_id } };
    const ask = () => evaluate(gh, f, { subject, action: { name: 'read' }, resource: { type: 'doc', id: 'd1' } });
    expect((await ask()).body.decision).toBe(true);

    await c.block(f);

    const oauthDenied = { error: 'access_denied', reason: c.code, recovery: expect.stringMatching(c.recovery) };
    const cc = await clientCredentials(gh, f);
    expect(cc.status).toBe(403);
    expect(cc.body).toMatchObject({ ...oauthDenied, decision_id: expect.stringMatching(/^dec_/) });
    const signIn = await userSignIn(gh, f);
    expect(signIn.status).toBe(403);
    expect(signIn.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(signIn.body).toMatchObject({ code: c.code, recovery: expect.stringMatching(c.recovery) });
    const refreshed = await refresh(gh, f, session.body.refresh_token);
    expect(refreshed.status).toBe(403);
    expect(refreshed.body).toMatchObject(oauthDenied);
    const bearer = await gh.api('GET', '/v1/me', { token: session.body.access_token });
    expect(bearer.status).toBe(403);
    expect(bearer.body).toMatchObject({
      code: c.code,
      recovery: expect.stringMatching(c.recovery),
      decision_id: expect.any(String),
    });
    const introspected = await clientPost(gh.url, f.app, '/oauth/introspect', { token: session.body.access_token });
    expect(await introspected.json()).toMatchObject({ active: false, reason: c.code });
    const evaluation = await ask();
    expect(evaluation.body).toMatchObject({
      decision: false,
      context: { code: c.code, recovery: expect.stringMatching(c.recovery) },
    });

    await c.recover(f, session.body.access_token);

    expect((await clientCredentials(gh, f)).status).toBe(200);
    expect((await userSignIn(gh, f)).status).toBe(200);
    expect((await refresh(gh, f, session.body.refresh_token)).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: session.body.access_token })).status).toBe(200);
    expect((await ask()).body.decision).toBe(true);

    // The reason trail: one access.denied row per refusal, each with its decision id and inputs.
    const rows = await gh.sql<{ reason: string; details: { point: string; decision_id: string; inputs: object } }>(
      `SELECT reason, details FROM audit_events WHERE action = 'access.denied' AND org_id = $1 ORDER BY chain_seq`,
      [f.orgId],
    );
    expect(rows.every((r) => r.reason === c.code && /^dec_/.test(r.details.decision_id))).toBe(true);
    expect(new Set(rows.map((r) => r.details.point))).toEqual(
      new Set(['issuance', 'request', 'introspection', 'decision']),
    );
    expect(rows.map((r) => r.details.decision_id)).toContain(cc.body.decision_id);
    expect(rows.map((r) => r.details.decision_id)).toContain(evaluation.body.context.decision_id);
  });

  it('a workflow pause stops token exchange for that step and the step tokens already out, and nothing else', async () => {
    const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
    const f = await controlFixture(gh, { grant_types: ['client_credentials', EXCHANGE] });
    const own = (await clientCredentials(gh, f)).body.access_token;
    const exchange = async (step: string) => {
      const r = await clientPost(gh.url, f.app, '/oauth/token', {
        grant_type: EXCHANGE,
        subject_token: own,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        step,
      });
      return { status: r.status, body: (await r.json()) as Record<string, string> };
    };
    const nightly = await exchange('nightly-sync');
    expect(nightly.status).toBe(200);
    const pause = await gh.api('POST', `/v1/orgs/${f.orgId}/pauses`, {
      token: f.admin,
      body: { target: { type: 'workflow', id: 'nightly-sync' }, reason: 'runaway job' },
    });
    expect(pause.status).toBe(201);
    expect(await exchange('nightly-sync')).toMatchObject({
      status: 403,
      body: { error: 'access_denied', reason: 'governance_paused', recovery: expect.stringMatching(/operator review/) },
    });
    expect((await gh.api('GET', '/v1/me', { token: nightly.body.access_token })).body).toMatchObject({
      code: 'governance_paused',
    });
    expect((await exchange('billing-report')).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: own })).status).toBe(200);
    await gh.api('POST', `/v1/orgs/${f.orgId}/pauses/${pause.body.id}/resume`, {
      token: f.admin,
      body: { review_note: 'capped the batch size' },
    });
    expect((await exchange('nightly-sync')).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: nightly.body.access_token })).status).toBe(200);
  });
});
