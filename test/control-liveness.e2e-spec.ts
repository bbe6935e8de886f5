import { ControlStateCache } from '@gatehouse/control';
import { clientPost, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { controlFixture, evaluate, type ControlFixture } from './support/control';
import { startSecondInstance, type SecondInstance } from './support/second-instance';

/**
 * "Live means live" (docs/control.md): two Gatehouse instances on one PostgreSQL, each answering
 * decisions from its own memory; a change made through one is enforced by the other on the
 * very next request, in both directions, with the cache in use (not bypassed).
 */
describe('two instances: a control change through one is enforced by the other at once', () => {
  let gh: TestGatehouse;
  let second: SecondInstance;
  let f: ControlFixture;
  beforeAll(async () => {
    gh = await startGatehouse();
    second = await startSecondInstance(gh);
    f = await controlFixture(gh);
  });
  afterAll(async () => {
    await second?.close();
    await gh?.close();
  });

  const token = (url: string) => clientPost(url, f.app, '/oauth/token', { grant_type: 'client_credentials' });

  it('suspend through one, refused by the other; restore through the other, allowed by the first', async () => {
    const cache2 = second.app.get(ControlStateCache);
    const cache1 = gh.app.get(ControlStateCache);
    // Warm both caches with the org's good standing.
    for (let i = 0; i < 3; i++) {
      expect((await token(second.url)).status).toBe(200);
      expect((await token(gh.url)).status).toBe(200);
    }
    expect(cache2.listening && cache1.listening).toBe(true);
    const hitsBefore = cache2.stats().hits;
    expect(hitsBefore).toBeGreaterThan(0);

    const put = await gh.api('PUT', `/v1/orgs/${f.orgId}/contract`, { token: f.admin, body: { status: 'suspended' } });
    expect(put.status).toBe(200);
    const refused = await token(second.url);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'access_denied', reason: 'contract_inactive' });

    const restore = await second.api('PUT', `/v1/orgs/${f.orgId}/contract`, {
      token: f.admin,
      body: { status: 'active' },
    });
    expect(restore.status).toBe(200);
    expect((await token(gh.url)).status).toBe(200);
    expect((await token(second.url)).status).toBe(200);
  });

  it('a pause through one stops decisions on the other at once, and a resume frees them', async () => {
    const ask = (g: Pick<TestGatehouse, 'api'>) =>
      evaluate(g, f, {
        subject: { type: 'app', id: f.app.client_id },
        action: { name: 'read' },
        resource: { type: 'd', id: '1' },
      });
    expect((await ask(second)).body.decision).toBe(true);
    const pause = await gh.api('POST', `/v1/orgs/${f.orgId}/pauses`, {
      token: f.admin,
      body: { target: { type: 'org' }, reason: 'incident' },
    });
    expect((await ask(second)).body.context).toMatchObject({ code: 'governance_paused' });
    await gh.api('POST', `/v1/orgs/${f.orgId}/pauses/${pause.body.id}/resume`, {
      token: f.admin,
      body: { review_note: 'ok' },
    });
    expect((await ask(second)).body.decision).toBe(true);
  });

  it('a change made behind the API (SQL by hand) is enforced too', async () => {
    expect((await token(second.url)).status).toBe(200);
    await gh.sql(`UPDATE org_controls SET billing_status = 'canceled' WHERE org_id = $1`, [f.orgId]);
    const refused = await token(second.url);
    expect(await refused.json()).toMatchObject({ reason: 'billing_not_in_good_standing' });
    await gh.sql(`UPDATE org_controls SET billing_status = 'active' WHERE org_id = $1`, [f.orgId]);
    expect((await token(second.url)).status).toBe(200);
  });
});
