import { startGatehouse, type TestGatehouse } from './support/gatehouse';
import { clientCredentials, controlFixture, evaluate, type ControlFixture } from './support/control';

/**
 * Review (docs/control.md): an action goes to review, is approved once, succeeds once, and fails
 * again; an approval covers its own action and resource only; a rejected one never runs.
 */
describe('review and approval', () => {
  let gh: TestGatehouse;
  let f: ControlFixture;
  beforeAll(async () => {
    gh = await startGatehouse();
    f = await controlFixture(gh);
  });
  afterAll(() => gh?.close());

  const rules = (body: unknown) => gh.api('PUT', `/v1/orgs/${f.orgId}/approval-rules`, { token: f.admin, body });
  const approvals = (path: string, body?: unknown) =>
    gh.api(body === undefined ? 'GET' : 'POST', `/v1/orgs/${f.orgId}/approvals${path}`, { token: f.admin, body });

  it('a bearer route marked approval-required: review, approved once, runs once, then review again', async () => {
    expect((await rules({ actions: ['GET /v1/me'], reason: 'audit season' })).status).toBe(200);
    const token = (await clientCredentials(gh, f)).body.access_token;
    const first = await gh.api('GET', '/v1/me', { token });
    expect(first.status).toBe(403);
    expect(first.body).toMatchObject({
      code: 'approval_required',
      recovery: expect.stringMatching(/approve/i),
      decision_id: expect.stringMatching(/^dec_/),
      approval_id: expect.stringMatching(/^apr_/),
    });
    // Asking again points at the same pending request instead of opening another.
    expect((await gh.api('GET', '/v1/me', { token })).body.approval_id).toBe(first.body.approval_id);
    const pending = await approvals('?state=pending');
    expect(pending.body.data).toEqual([
      expect.objectContaining({
        id: first.body.approval_id,
        decision_id: first.body.decision_id,
        state: 'pending',
        subject: { tier: 'app', id: f.app.client_id },
        action: 'GET /v1/me',
        resource: { type: 'route', id: '/v1/me' },
      }),
    ]);
    const approved = await approvals(`/${first.body.approval_id}/approve`, { note: 'ticket OPS-7' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', use_by: expect.any(String), note: 'ticket OPS-7' });
    // A second decision on it is a conflict.
    expect((await approvals(`/${first.body.approval_id}/reject`, { note: 'late' })).status).toBe(409);

    expect((await gh.api('GET', '/v1/me', { token })).status).toBe(200);
    const again = await gh.api('GET', '/v1/me', { token });
    expect(again.status).toBe(403);
    expect(again.body.code).toBe('approval_required');
    expect(again.body.approval_id).not.toBe(first.body.approval_id);

    const trail = await gh.sql<{ action: string; details: Record<string, string> }>(
      `SELECT action, details FROM audit_events WHERE org_id = $1 AND action IN ('access.review', 'approval.approved', 'approval.used')
        ORDER BY chain_seq`,
      [f.orgId],
    );
    expect(trail.map((r) => r.action)).toEqual([
      'access.review',
      'access.review',
      'approval.approved',
      'approval.used',
      'access.review',
    ]);
    expect(trail[0]!.details).toMatchObject({
      approval_id: first.body.approval_id,
      decision_id: first.body.decision_id,
    });
    expect(trail[3]!.details).toMatchObject({
      approval_id: first.body.approval_id,
      decision_id: expect.stringMatching(/^dec_/),
    });
    await rules({ actions: [] });
  });

  it('an approval covers its own action and resource only, and a rejected one never runs', async () => {
    await rules({ actions: ['deploy'] });
    const ask = (id: string) =>
      evaluate(gh, f, {
        subject: { type: 'app', id: f.app.client_id },
        action: { name: 'deploy' },
        resource: { type: 'service', id },
      });
    const web = await ask('web');
    expect(web.body).toMatchObject({ decision: false, context: { outcome: 'review', code: 'approval_required' } });
    await approvals(`/${web.body.context.approval_id}/approve`, { note: 'go' });
    expect((await ask('db')).body.decision).toBe(false);
    expect((await ask('web')).body.decision).toBe(true);
    expect((await ask('web')).body.decision).toBe(false);

    const db = await ask('db');
    expect((await approvals(`/${db.body.context.approval_id}/reject`, { note: 'not in a freeze' })).body.state).toBe(
      'rejected',
    );
    expect((await ask('db')).body.context).toMatchObject({ outcome: 'review' });
    expect((await approvals('?state=rejected')).body.data.map((a: { id: string }) => a.id)).toEqual([
      db.body.context.approval_id,
    ]);
    await rules({ actions: [] });
  });

  it('in the contract’s last days, writes by an app go to review and reads do not', async () => {
    const ends = new Date(Date.now() + 5 * 86_400_000).toISOString();
    await gh.api('PUT', `/v1/orgs/${f.orgId}/contract`, { token: f.admin, body: { status: 'active', ends_at: ends } });
    await rules({ actions: [], review_last_days: 14 });
    const ask = (name: string) =>
      evaluate(gh, f, {
        subject: { type: 'app', id: f.app.client_id },
        action: { name },
        resource: { type: 'doc', id: 'x' },
      });
    expect((await ask('read')).body.decision).toBe(true);
    expect((await ask('update')).body.context).toMatchObject({ outcome: 'review', code: 'approval_required' });
    const pending = (await approvals('?state=pending')).body.data;
    expect(pending[0]).toMatchObject({ rule: 'contract_last_days_write', action: 'update' });
  });
});
