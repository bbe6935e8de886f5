import { createHash, randomBytes } from 'node:crypto';
import { REASONS } from '../libs/control/src/reasons';
import { CookieBrowser, type PageResponse } from './support/cookie-browser';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

const CALLBACK = 'https://control.example/cb';
const PASSWORD = 'Lantern-Quiet-Harbor-91';
const POLICY_URL = 'https://control.example/policy-2026-12';

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The control layer on the hosted pages (docs/sign-in.md#policy, docs/control.md#reasons): a
 * `policy_not_accepted` stop shows the policy and takes the acceptance in-page, then the
 * sign-in finishes; every other stop — contract, billing, entitlement, pause — is a 403 page
 * with the reason's message, its recovery and the decision id, and no code.
 */
describe('the control layer on the sign-in pages', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let app: { client_id: string; client_secret: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${gh.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.client_id,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      state: 'st',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...extra,
    })}`;
  const put = (path: string, body: unknown) => gh.api('PUT', `/v1/orgs/${orgId}${path}`, { token: admin, body });

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis() });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'ctl', display_name: 'Control Co' } })).body
      .id;
    app = (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: {
          name: 'web',
          scopes: ['a'],
          grant_types: ['authorization_code'],
          redirect_uris: [CALLBACK],
          consent: 'first_party',
        },
      })
    ).body;
  });
  afterAll(() => gh?.close());

  async function newUser(label: string) {
    const email = `${label}-${randomBytes(3).toString('hex')}@example.test`;
    const res = await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email, password: PASSWORD } });
    expect(res.status).toBe(201);
    return { email, id: res.body.id as string };
  }
  async function signIn(browser: CookieBrowser, email: string, url = authorizeUrl()): Promise<PageResponse> {
    let page = await browser.go(url);
    page = await browser.submit(gh.url, page, '/sign-in/identify', { email });
    return browser.submit(gh.url, page, '/sign-in/password', { password: PASSWORD });
  }
  const codeOf = (page: PageResponse) =>
    page.url.startsWith(CALLBACK) ? new URL(page.url).searchParams.get('code') : null;

  describe('policy_not_accepted', () => {
    beforeAll(async () => {
      expect((await put('/policy', { required_version: '2026-12', document_url: POLICY_URL })).status).toBe(200);
    });
    afterAll(async () => {
      await put('/policy', { required_version: null });
    });

    it('shows the policy and accepts it in-page; the sign-in then finishes with a code', async () => {
      const user = await newUser('accepts');
      const browser = new CookieBrowser(CALLBACK);
      const page = await signIn(browser, user.email);
      expect(page.status).toBe(200);
      expect(codeOf(page)).toBeNull();
      expect(page.body).toContain('2026-12');
      expect(page.body).toContain(`href="${POLICY_URL}"`);
      expect(page.body).toMatch(/dec_[0-9A-Z]{26}/);
      const form = CookieBrowser.forms(page).find((f) => f.action === '/sign-in/policy')!;
      expect(form.fields.version).toBe('2026-12');
      // Nothing accepted by showing the page.
      const before = await gh.sql(`SELECT 1 FROM policy_acceptances WHERE subject_id = $1`, [user.id]);
      expect(before).toEqual([]);

      const done = await browser.submit(gh.url, page, '/sign-in/policy');
      expect(codeOf(done)).toMatch(/^ghac_/);
      const accepted = await gh.sql<{ version: string; accepted_by: string }>(
        `SELECT version, accepted_by FROM policy_acceptances WHERE subject_id = $1`,
        [user.id],
      );
      expect(accepted).toEqual([{ version: '2026-12', accepted_by: user.id }]);
      const rows = await gh.sql<{ action: string }>(
        `SELECT action FROM audit_events WHERE actor_id = $1 AND action IN ('control.policy.accepted', 'authorization.granted', 'authorization.denied') ORDER BY seq`,
        [user.id],
      );
      expect(rows.map((r) => r.action)).toEqual(['control.policy.accepted', 'authorization.granted']);
    });

    it('a stale version on the form is not accepted: the page shows the required one again', async () => {
      const user = await newUser('stale');
      const browser = new CookieBrowser(CALLBACK);
      const page = await signIn(browser, user.email);
      const again = await browser.submit(gh.url, page, '/sign-in/policy', { version: '2026-01' });
      expect(codeOf(again)).toBeNull();
      expect(CookieBrowser.forms(again).find((f) => f.action === '/sign-in/policy')?.fields.version).toBe('2026-12');
      expect(await gh.sql(`SELECT 1 FROM policy_acceptances WHERE subject_id = $1`, [user.id])).toEqual([]);
    });

    it('cancel returns access_denied to the app', async () => {
      const user = await newUser('cancels');
      const browser = new CookieBrowser(CALLBACK);
      const page = await signIn(browser, user.email);
      const back = await browser.submit(gh.url, page, '/sign-in/cancel');
      expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    });

    it('a session opened before the policy changed is shown the policy too (SSO), and prompt=none is refused', async () => {
      await put('/policy', { required_version: null });
      const user = await newUser('sso');
      const browser = new CookieBrowser(CALLBACK);
      expect(codeOf(await signIn(browser, user.email))).toMatch(/^ghac_/);
      await put('/policy', { required_version: '2026-12', document_url: POLICY_URL });
      const none = await browser.request(authorizeUrl({ prompt: 'none' }));
      expect(new URL(none.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
      const page = await browser.go(authorizeUrl());
      expect(page.status).toBe(200);
      const done = await browser.submit(gh.url, page, '/sign-in/policy');
      expect(codeOf(done)).toMatch(/^ghac_/);
    });
  });

  const stops: {
    name: string;
    reason: keyof typeof REASONS;
    block: () => Promise<unknown>;
    lift: () => Promise<unknown>;
  }[] = [
    {
      name: 'contract',
      reason: 'contract_inactive',
      block: () => put('/contract', { status: 'suspended', reason: 'overdue' }),
      lift: () => put('/contract', { status: 'active', reason: 'renewed' }),
    },
    {
      name: 'billing',
      reason: 'billing_not_in_good_standing',
      block: () => put('/billing', { status: 'unpaid' }),
      lift: () => put('/billing', { status: 'active' }),
    },
    {
      name: 'entitlement',
      reason: 'entitlement_not_granted',
      block: async () => {
        await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${app.client_id}`, {
          token: admin,
          body: { packages: ['agents'] },
        });
        return put('/entitlements/agents', { status: 'inactive', reason: 'downgrade' });
      },
      lift: () => gh.api('PATCH', `/v1/orgs/${orgId}/apps/${app.client_id}`, { token: admin, body: { packages: [] } }),
    },
    {
      name: 'pause',
      reason: 'governance_paused',
      block: () =>
        gh.api('POST', `/v1/orgs/${orgId}/pauses`, {
          token: admin,
          body: { target: { type: 'org' }, reason: 'incident' },
        }),
      lift: async () => {
        const [p] = (await gh.api('GET', `/v1/orgs/${orgId}/pauses`, { token: admin })).body.data;
        return gh.api('POST', `/v1/orgs/${orgId}/pauses/${p.id}/resume`, { token: admin, body: { review_note: 'ok' } });
      },
    },
  ];

  it.each(stops)('the $name stop is a page with the message, the recovery and the decision id', async (s) => {
    const user = await newUser(s.name);
    const blocked = (await s.block()) as { status: number };
    expect(blocked.status).toBeLessThan(300);
    try {
      const browser = new CookieBrowser(CALLBACK);
      const page = await signIn(browser, user.email);
      expect(page.status).toBe(403);
      expect(codeOf(page)).toBeNull();
      expect(page.body).toContain(escape(REASONS[s.reason].message));
      expect(page.body).toContain(escape(REASONS[s.reason].recovery));
      const decision = /dec_[0-9A-Z]{26}/.exec(page.body)?.[0];
      expect(decision).toBeDefined();
      expect(CookieBrowser.forms(page).filter((f) => f.action === '/sign-in/policy')).toEqual([]);
      const [row] = await gh.sql<{ reason: string; details: { decision_id: string } }>(
        `SELECT reason, details FROM audit_events WHERE action = 'authorization.denied' AND actor_id = $1`,
        [user.id],
      );
      expect(row).toEqual({ reason: s.reason, details: expect.objectContaining({ decision_id: decision }) });
    } finally {
      await s.lift();
    }
  });
});
