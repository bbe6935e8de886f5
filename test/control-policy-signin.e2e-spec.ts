import { startGatehouse, type ApiResponse, type TestGatehouse } from './support/gatehouse';
import { controlFixture, userSignIn, type ControlFixture } from './support/control';

/**
 * docs/control.md#policy: a user whose org requires a policy version the user has not
 * accepted cannot hold a token to accept it with. Its sign-in, once the password is right,
 * is refused with `policy_not_accepted` and a single-use `policy_token`; the policy step
 * (`POST /v1/orgs/{orgId}/users/login/policy`) records the acceptance as
 * `POST /v1/me/policy-acceptances` does and completes the sign-in through the same path,
 * so the access gate decides again.
 */
describe('the policy step of user sign-in', () => {
  const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
  let gh: TestGatehouse;
  /** Every policy_token handed out, to look for in logs and audit rows at the end. */
  const issued: string[] = [];

  beforeAll(async () => {
    gh = await startGatehouse({ clock });
  });
  afterAll(() => gh?.close());

  const VERSION = '2026-12';
  const DOC_URL = 'https://acme.test/terms/2026-12';

  const requirePolicy = async (f: ControlFixture, body: Record<string, unknown> = {}) => {
    const r = await gh.api('PUT', `/v1/orgs/${f.orgId}/policy`, {
      token: f.admin,
      body: { required_version: VERSION, document_url: DOC_URL, ...body },
    });
    expect(r.status).toBe(200);
  };
  const policyStep = (orgId: string, body: Record<string, unknown>) =>
    gh.api('POST', `/v1/orgs/${orgId}/users/login/policy`, { body });
  /** A sign-in stopped by the policy, with its policy_token. */
  const stopped = async (f: ControlFixture): Promise<ApiResponse> => {
    const r = await userSignIn(gh, f);
    expect(r.status).toBe(403);
    expect(typeof r.body.policy_token).toBe('string');
    issued.push(r.body.policy_token);
    return r;
  };
  const acceptances = (f: ControlFixture) =>
    gh.sql<{ subject_id: string; version: string; accepted_by: string }>(
      'SELECT subject_id, version, accepted_by FROM policy_acceptances WHERE org_id = $1',
      [f.orgId],
    );
  const expectRefused = (r: ApiResponse) => {
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({
      code: 'policy_token_invalid',
      detail: 'The policy_token is not valid; sign in again.',
    });
    expect(r.body.access_token).toBeUndefined();
  };

  it('refuses with a policy_token, accepts the required version, signs in, and the token is single-use', async () => {
    const f = await controlFixture(gh);
    await requirePolicy(f);

    // A wrong password learns nothing of the policy.
    const wrong = await gh.api('POST', `/v1/orgs/${f.orgId}/users/login`, {
      body: { client_id: f.app.client_id, email: f.user.email, password: 'Not-Her-Password-1' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    expect(wrong.text).not.toMatch(/policy|2026-12|acme\.test/);

    const refused = await stopped(f);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({
      code: 'policy_not_accepted',
      reason: 'policy_not_accepted',
      detail: 'The active policy version has not been accepted.',
      recovery: expect.stringMatching(/accept the active policy and retry/i),
      decision_id: expect.stringMatching(/^dec_/),
      policy_token: expect.stringMatching(/^gha_[A-Za-z0-9_-]{43}$/),
      policy_token_expires_in: 300,
      policy_version: VERSION,
      policy_document_url: DOC_URL,
    });
    expect(refused.body.access_token).toBeUndefined();
    const token = refused.body.policy_token as string;

    // Stored only as a hash.
    const [row] = await gh.sql<{ token_hash: string; user_id: string; consumed_at: Date | null }>(
      `SELECT handle_hash AS token_hash, subject_id AS user_id, consumed_at FROM sign_in_interactions
        WHERE kind = 'user_policy' AND org_id = $1`,
      [f.orgId],
    );
    expect(row).toMatchObject({ user_id: f.user.id, consumed_at: null });
    expect(row!.token_hash).not.toContain(token.slice(4));

    // Another version than the required one: 409 naming the required one; the token stays live.
    const other = await policyStep(f.orgId, { policy_token: token, version: '2025-01' });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'conflict', required_version: VERSION });
    expect(other.body.detail).toContain(VERSION);
    expect(await acceptances(f)).toEqual([]);

    // Strict body, like every other.
    expect((await policyStep(f.orgId, { policy_token: token, version: VERSION, extra: 1 })).status).toBe(400);
    expect((await policyStep(f.orgId, { policy_token: token })).status).toBe(400);

    const done = await policyStep(f.orgId, { policy_token: token, version: VERSION });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(/^ghr_/),
      expires_in: expect.any(Number),
      scope: 'things:read',
    });
    expect(done.body.policy_token).toBeUndefined();
    const me = await gh.api('GET', '/v1/me', { token: done.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ tier: 'user', id: f.user.id, client_id: f.app.client_id });
    expect(await acceptances(f)).toEqual([{ subject_id: f.user.id, version: VERSION, accepted_by: f.user.id }]);

    // Replayed: refused, and nothing more recorded.
    expectRefused(await policyStep(f.orgId, { policy_token: token, version: VERSION }));

    // The audit trail: the stop, the acceptance by the user itself, then the sign-in.
    const rows = await gh.sql<{
      action: string;
      outcome: string;
      actor_id: string | null;
      actor_tier: string | null;
      reason: string | null;
      details: Record<string, unknown>;
    }>(
      `SELECT action, outcome, actor_id, actor_tier, reason, details FROM audit_events
        WHERE org_id = $1 AND action IN ('access.denied', 'control.policy.accepted', 'user.login', 'token.issued')
        ORDER BY chain_seq`,
      [f.orgId],
    );
    const trail = rows.map((r) => `${r.action}:${r.outcome}`);
    expect(trail).toEqual([
      'user.login:failure', // the wrong password
      'access.denied:failure', // the sign-in stopped by the policy
      'control.policy.accepted:success',
      'user.login:success',
      'token.issued:success',
      'user.login:failure', // the replay
    ]);
    const denied = rows[1]!;
    expect(denied).toMatchObject({ reason: 'policy_not_accepted', actor_id: f.user.id });
    expect(denied.details.decision_id).toBe(refused.body.decision_id);
    expect(rows[2]).toMatchObject({
      actor_id: f.user.id,
      actor_tier: 'user',
      details: { version: VERSION, accepted_for: f.user.id },
    });
    expect(rows[3]).toMatchObject({ actor_id: f.user.id, actor_tier: 'user', details: { client_id: f.app.client_id } });
    expect(rows[5]).toMatchObject({
      actor_id: f.user.id,
      reason: 'unknown, spent or expired policy_token',
      details: { client_id: f.app.client_id, step: 'policy' },
    });

    // Accepted: the next sign-in goes straight through.
    expect((await userSignIn(gh, f)).status).toBe(200);
  });

  it('refuses an expired policy_token and records nothing', async () => {
    const f = await controlFixture(gh);
    await requirePolicy(f);
    const token = (await stopped(f)).body.policy_token;
    clock.offsetMs = 301_000;
    try {
      expectRefused(await policyStep(f.orgId, { policy_token: token, version: VERSION }));
    } finally {
      clock.offsetMs = 0;
    }
    expect(await acceptances(f)).toEqual([]);
    // A fresh sign-in hands out a fresh token, which works.
    const again = (await stopped(f)).body.policy_token;
    expect(again).not.toBe(token);
    expect((await policyStep(f.orgId, { policy_token: again, version: VERSION })).status).toBe(200);
  });

  it("refuses org A's policy_token on org B's route, without spending it", async () => {
    const a = await controlFixture(gh);
    const b = await controlFixture(gh);
    await requirePolicy(a);
    await requirePolicy(b);
    const token = (await stopped(a)).body.policy_token;
    const crossed = await policyStep(b.orgId, { policy_token: token, version: VERSION });
    expectRefused(crossed);
    expect(crossed.text).not.toContain(a.user.id);
    expect(crossed.text).not.toContain(a.orgId);
    expect(await acceptances(a)).toEqual([]);
    expect(await acceptances(b)).toEqual([]);
    // The refusal on B's route names nobody of A's in B's log.
    const bRows = await gh.sql<{ actor_id: string | null }>(
      `SELECT actor_id FROM audit_events WHERE action = 'user.login' AND (org_id = $1 OR actor_id = $2)`,
      [b.orgId, a.user.id],
    );
    expect(bRows).toEqual([]);
    expect((await policyStep(a.orgId, { policy_token: token, version: VERSION })).status).toBe(200);
  });

  it('refuses unknown and malformed tokens alike', async () => {
    const f = await controlFixture(gh);
    await requirePolicy(f);
    expectRefused(await policyStep(f.orgId, { policy_token: 'gha_' + 'A'.repeat(43), version: VERSION }));
    expectRefused(await policyStep(f.orgId, { policy_token: 'not-a-token', version: VERSION }));
    expectRefused(await policyStep(f.orgId, { policy_token: 'gha_x', version: '2025-01' }));
  });

  it('hands out a policy_token only for the policy stop, and runs the gate again after the acceptance', async () => {
    const f = await controlFixture(gh);
    await requirePolicy(f);
    const token = (await stopped(f)).body.policy_token;

    // A suspended contract comes first in the decision: that stop carries no policy_token.
    const suspend = await gh.api('PUT', `/v1/orgs/${f.orgId}/contract`, {
      token: f.admin,
      body: { status: 'suspended', reason: 'overdue invoice' },
    });
    expect(suspend.status).toBe(200);
    const contract = await userSignIn(gh, f);
    expect(contract.status).toBe(403);
    expect(contract.body.code).toBe('contract_inactive');
    expect(contract.text).not.toMatch(/policy_token|policy_version|acme\.test/);

    // The token from before still accepts the policy, but the sign-in stops at the contract.
    const step = await policyStep(f.orgId, { policy_token: token, version: VERSION });
    expect(step.status).toBe(403);
    expect(step.body).toMatchObject({ code: 'contract_inactive', recovery: expect.stringMatching(/renew/i) });
    expect(step.body.access_token).toBeUndefined();
    expect(step.body.policy_token).toBeUndefined();
    expect(await acceptances(f)).toEqual([{ subject_id: f.user.id, version: VERSION, accepted_by: f.user.id }]);
    expectRefused(await policyStep(f.orgId, { policy_token: token, version: VERSION }));

    // Restored: a plain sign-in goes through; the acceptance stands.
    await gh.api('PUT', `/v1/orgs/${f.orgId}/contract`, { token: f.admin, body: { status: 'active' } });
    expect((await userSignIn(gh, f)).status).toBe(200);

    // A new required version needs a new acceptance: a new stop, a new token.
    await requirePolicy(f, { required_version: '2027-01', document_url: null });
    const next = await stopped(f);
    expect(next.body).toMatchObject({ policy_version: '2027-01' });
    expect(next.body.policy_document_url).toBeUndefined();
    expect((await policyStep(f.orgId, { policy_token: next.body.policy_token, version: '2027-01' })).status).toBe(200);
  });

  it('refuses the step once the sessions were ended since the password was checked', async () => {
    const f = await controlFixture(gh);
    await requirePolicy(f);
    const token = (await stopped(f)).body.policy_token;
    const changed = await gh.api('PATCH', `/v1/orgs/${f.orgId}/users/${f.user.id}`, {
      token: f.admin,
      body: { password: 'A-New-Strong-Pass-43' },
    });
    expect(changed.status).toBe(200);
    expectRefused(await policyStep(f.orgId, { policy_token: token, version: VERSION }));
    expect(await acceptances(f)).toEqual([]);
  });

  it('documents the route in the OpenAPI document', async () => {
    const doc = (await gh.api('GET', '/openapi.json')).body;
    const op = doc.paths['/v1/orgs/{orgId}/users/login/policy']?.post;
    expect(op).toBeDefined();
    expect(JSON.stringify(op.requestBody)).toMatch(/policy_token/);
    expect(JSON.stringify(op.requestBody)).toMatch(/version/);
  });

  it('never writes a policy_token to the logs or the audit log', async () => {
    expect(issued.length).toBeGreaterThan(5);
    const logs = gh.logs.join('\n');
    const audit = JSON.stringify(await gh.sql('SELECT * FROM audit_events'));
    for (const token of issued) {
      expect(logs).not.toContain(token);
      expect(audit).not.toContain(token);
    }
  });
});
