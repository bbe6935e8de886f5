import { createVerifier, type Verifier } from '@gatehouse/verifier';
import { clientPost, cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

type App = { client_id: string; client_secret: string };
type Body = Record<string, unknown>;
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const MANAGED = 'urn:gatehouse:params:oauth:token-type:managed';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Body;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every way a managed token ends revokes its whole lineage (docs/managed-tokens.md#ending-a-managed-token):
 * the access token a host exchanged it for (E1, `parent_jti` = the `mgt_…` id) and the step
 * token exchanged from that (G1, `parent_jti` = E1's jti) both die at once — on `/v1/me`, at
 * introspection, as the subject of a further exchange, in the revocation feed by jti, and
 * at an offline `@gatehouse/verifier` polling that feed.
 */
describe('ending a managed token ends its whole lineage', () => {
  let gh: TestGatehouse;
  let verifier: Verifier;
  let admin: string;
  let org: { id: string };
  let web: App;
  let host: App;
  let feed: App;
  const password = 'User-Strong-Pass-42';
  let n = 0;

  const form = (client: App, params: Record<string, string>, ip?: string) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        ...(ip ? { 'x-forwarded-for': ip } : {}),
      },
      body: new URLSearchParams(params).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Body }));
  const exchangeManaged = (managed: string, ip?: string) =>
    form(host, { grant_type: EXCHANGE, subject_token: managed, subject_token_type: MANAGED }, ip);
  const exchangeStep = (subject: string) =>
    form(host, { grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT, step: 'nightly' });
  const introspect = async (token: string) =>
    (await (await clientPost(gh.url, host, '/oauth/introspect', { token })).json()) as Body;
  const feedJtis = async () => {
    const t = (await form(feed, { grant_type: 'client_credentials' })).body.access_token as string;
    const page = await gh.api('GET', '/v1/revocations', { token: t });
    expect(page.status).toBe(200);
    return new Set((page.body.revoked_tokens as { jti: string }[]).map((r) => r.jti));
  };
  const offline = (token: string) =>
    verifier.verify(token).then(
      () => 'accepted',
      (err: { code?: string }) => err.code ?? 'refused',
    );

  interface Lineage {
    userId: string;
    userToken: string;
    managed: { id: string; token: string };
    e1: string;
    g1: string;
  }

  /** A fresh user with a managed token, E1 exchanged from it and G1 from E1, all alive. */
  async function lineage(ip?: string): Promise<Lineage> {
    const email = `agent-owner-${++n}@acme.test`;
    const userId = (await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } })).body
      .id as string;
    const userToken = (
      await gh.api('POST', `/v1/orgs/${org.id}/users/login`, { body: { client_id: web.client_id, email, password } })
    ).body.access_token as string;
    const created = await gh.api('POST', '/v1/me/managed-token', {
      token: userToken,
      body: { hosts: [host.client_id] },
    });
    expect(created.status).toBe(201);
    const managed = created.body as { id: string; token: string };
    const first = await exchangeManaged(managed.token, ip);
    expect(first.status).toBe(200);
    const e1 = first.body.access_token as string;
    expect(claimsOf(e1).parent_jti).toBe(managed.id);
    const step = await exchangeStep(e1);
    expect(step.status).toBe(200);
    const g1 = step.body.access_token as string;
    expect(claimsOf(g1)).toMatchObject({ parent_jti: claimsOf(e1).jti, step: 'nightly' });
    for (const t of [e1, g1]) {
      expect((await gh.api('GET', '/v1/me', { token: t })).status).toBe(200);
      expect((await introspect(t)).active).toBe(true);
      expect(await offline(t)).toBe('accepted');
    }
    return { userId, userToken, managed, e1, g1 };
  }

  /** E1 and G1 are dead everywhere, and the feed names both jtis. */
  async function expectLineageDead(l: Lineage): Promise<void> {
    for (const t of [l.e1, l.g1]) {
      const me = await gh.api('GET', '/v1/me', { token: t });
      expect(me.status).toBe(401);
      expect(await introspect(t)).toEqual({ active: false });
      const again = await exchangeStep(t);
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_request');
    }
    const listed = await feedJtis();
    expect(listed.has(claimsOf(l.e1).jti as string)).toBe(true);
    expect(listed.has(claimsOf(l.g1).jti as string)).toBe(true);
    // The verifier polls the feed every second.
    let verdicts: string[] = [];
    for (let i = 0; i < 40; i++) {
      verdicts = [await offline(l.e1), await offline(l.g1)];
      if (!verdicts.includes('accepted')) break;
      await sleep(250);
    }
    expect(verdicts).toEqual(['token_revoked', 'token_revoked']);
  }

  beforeAll(async () => {
    gh = await startGatehouse({ redis: true, env: { GATEHOUSE_TRUST_PROXY: 'true' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    const mkApp = async (name: string, scopes: string[], grantTypes: string[]) =>
      (
        await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
          token: admin,
          body: { password_login: true, name, scopes, grant_types: grantTypes },
        })
      ).body as App;
    web = await mkApp('web', ['invoices:read', 'profile'], ['client_credentials', 'refresh_token']);
    host = await mkApp('agent-host', ['invoices:read', 'profile'], ['client_credentials', EXCHANGE]);
    feed = await mkApp('feed', ['gatehouse:revocations'], ['client_credentials']);
    verifier = createVerifier({
      issuer: gh.url,
      audience: gh.url,
      revocations: { credentials: { clientId: feed.client_id, clientSecret: feed.client_secret }, intervalS: 1 },
    });
    await verifier.ready();
  });
  afterAll(async () => {
    verifier?.close();
    await gh?.close();
  });

  it('the user deletes it', async () => {
    const l = await lineage();
    expect((await gh.api('DELETE', '/v1/me/managed-token', { token: l.userToken })).status).toBe(204);
    await expectLineageDead(l);
  });

  it('the user regenerates it', async () => {
    const l = await lineage();
    const again = await gh.api('POST', '/v1/me/managed-token', {
      token: l.userToken,
      body: { hosts: [host.client_id] },
    });
    expect(again.status).toBe(201);
    await expectLineageDead(l);
    expect((await exchangeManaged(again.body.token as string)).status).toBe(200);
  });

  it('an org admin disables the user', async () => {
    const l = await lineage();
    const r = await gh.api('PATCH', `/v1/orgs/${org.id}/users/${l.userId}`, { token: admin, body: { disabled: true } });
    expect(r.status).toBe(200);
    await expectLineageDead(l);
  });

  it('an org admin deletes the user', async () => {
    const l = await lineage();
    expect((await gh.api('DELETE', `/v1/orgs/${org.id}/users/${l.userId}`, { token: admin })).status).toBe(204);
    await expectLineageDead(l);
  });

  it("the user's password changes", async () => {
    const l = await lineage();
    const r = await gh.api('PATCH', `/v1/orgs/${org.id}/users/${l.userId}`, {
      token: admin,
      body: { password: 'Another-Strong-Pass-43' },
    });
    expect(r.status).toBe(200);
    await expectLineageDead(l);
  });

  it("an org admin revokes all the user's tokens", async () => {
    const l = await lineage();
    const r = await gh.api('POST', `/v1/orgs/${org.id}/users/${l.userId}/revoke-tokens`, { token: admin });
    expect(r.body).toMatchObject({ managed_tokens_ended: 1 });
    await expectLineageDead(l);
  });

  it('an anomaly suspends it; once cleared, new exchanges live', async () => {
    await gh.api('PUT', `/v1/orgs/${org.id}/anomaly-policy`, { token: admin, body: { auto_suspend: true } });
    await gh.api('PUT', '/v1/anomalies/settings', {
      token: admin,
      body: { managed_token_addresses: { limit: 1, window_s: 3600 } },
    });
    const l = await lineage('198.51.100.1');
    // A second source address: flagged and suspended once this exchange has answered.
    const second = await exchangeManaged(l.managed.token, '198.51.100.2');
    expect(second.status).toBe(200);
    expect((await exchangeManaged(l.managed.token)).body).toMatchObject({ reason: 'anomaly_review_pending' });
    await expectLineageDead(l);
    expect((await gh.api('GET', '/v1/me', { token: second.body.access_token as string })).status).toBe(401);

    const flags = await gh.api('GET', `/v1/anomalies?org=${org.id}&kind=managed_token_addresses&state=open`, {
      token: admin,
    });
    const flag = (flags.body.items as Body[]).find((f) => (f.subject as Body).id === l.managed.id)!;
    await gh.api('PUT', '/v1/anomalies/settings', {
      token: admin,
      body: { managed_token_addresses: { limit: 100, window_s: 3600 } },
    });
    expect((await gh.api('POST', `/v1/anomalies/${flag.id}/clear`, { token: admin, body: {} })).status).toBe(200);
    const after = await exchangeManaged(l.managed.token, '198.51.100.1');
    expect(after.status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: after.body.access_token as string })).status).toBe(200);
  });
});
