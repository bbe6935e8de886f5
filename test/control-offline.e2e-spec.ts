import { clientPost, cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { startResourceDemo, type ResourceDemo } from './support/resource-demo';

type App = { client_id: string; client_secret: string };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * "Offline verifiers learn of org-wide stops within the revocation feed's poll":
 * apps/resource-demo verifies tokens offline; a governance pause reaches it through the feed
 * and lifts with the resume, the same token working again. Its decision-gated route asks
 * Gatehouse's AuthZEN endpoint with the demo's own client credentials (@RequireDecision).
 */
describe('offline verifiers and the control layer', () => {
  let gh: TestGatehouse;
  let demo: ResourceDemo;
  let admin: string;
  let orgId: string;
  let reader: App;

  const tokenFor = async (client: App) =>
    (
      (await (await clientPost(gh.url, client, '/oauth/token', { grant_type: 'client_credentials' })).json()) as {
        access_token: string;
      }
    ).access_token;
  const invoices = (token: string) => demo.api('GET', `/orgs/${orgId}/invoices`, { token });
  /** Polls until the answer changes from `from`, for at most a few poll intervals. */
  const until = async (call: () => Promise<{ status: number }>, from: number) => {
    let r = await call();
    for (let i = 0; i < 50 && r.status === from; i++) {
      await sleep(100);
      r = await call();
    }
    return r as Awaited<ReturnType<typeof invoices>>;
  };

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body.id;
    const mk = async (name: string, scopes: string[]) =>
      (await gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: admin, body: { name, scopes } })).body as App;
    reader = await mk('reader', ['invoices:read']);
    const feed = await mk('demo', ['gatehouse:revocations']);
    demo = await startResourceDemo({
      GATEHOUSE_ISSUER: gh.url,
      DEMO_FEED_CLIENT_ID: feed.client_id,
      DEMO_FEED_CLIENT_SECRET: feed.client_secret,
      DEMO_REVOCATION_INTERVAL_S: '1',
      DEMO_DECISION_CACHE_MS: '0',
    });
  });
  afterAll(async () => {
    await demo?.stop();
    await gh?.close();
  });

  it('an org pause stops its tokens at the verifier within a poll, and the resume lets the same token through', async () => {
    const token = await tokenFor(reader);
    expect((await invoices(token)).status).toBe(200);
    const pause = await gh.api('POST', `/v1/orgs/${orgId}/pauses`, {
      token: admin,
      body: { target: { type: 'org' }, reason: 'incident 7' },
    });
    expect(pause.status).toBe(201);
    const stopped = await until(() => invoices(token), 200);
    expect(stopped.status).toBe(403);
    expect(stopped.body).toMatchObject({
      error: 'access_stopped',
      error_description: expect.stringMatching(/governance_paused/),
    });
    expect((await demo.api('GET', '/healthz')).body.revocations).toMatchObject({ mode: 'feed', access_stops: 1 });

    await gh.api('POST', `/v1/orgs/${orgId}/pauses/${pause.body.id}/resume`, {
      token: admin,
      body: { review_note: 'ok' },
    });
    expect((await until(() => invoices(token), 403)).status).toBe(200);
  });

  it('a suspended contract stops them too, and so does it lift', async () => {
    const token = await tokenFor(reader);
    await gh.api('PUT', `/v1/orgs/${orgId}/contract`, { token: admin, body: { status: 'suspended' } });
    const stopped = await until(() => invoices(token), 200);
    expect(stopped.body.error_description).toMatch(/contract_inactive/);
    await gh.api('PUT', `/v1/orgs/${orgId}/contract`, { token: admin, body: { status: 'active' } });
    expect((await until(() => invoices(token), 403)).status).toBe(200);
  });

  it('a decision-gated route asks Gatehouse live and answers the reason and recovery', async () => {
    const token = await tokenFor(reader);
    const exportNow = () => demo.api('POST', `/orgs/${orgId}/invoices/export`, { token });
    expect((await exportNow()).status).toBe(202);
    await gh.api('PUT', `/v1/orgs/${orgId}/billing`, { token: admin, body: { status: 'unpaid' } });
    const refused = await exportNow();
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      error: 'access_denied',
      reason: 'billing_not_in_good_standing',
      recovery: expect.stringMatching(/resolve the billing state/i),
      decision_id: expect.stringMatching(/^dec_/),
    });
    // Billing does not reach offline verifiers: reads keep working there.
    expect((await invoices(token)).status).toBe(200);
    await gh.api('PUT', `/v1/orgs/${orgId}/billing`, { token: admin, body: { status: 'active' } });
    expect((await exportNow()).status).toBe(202);
  });
});
