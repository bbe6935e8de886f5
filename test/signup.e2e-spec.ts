import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { linkIn, startMailbox } from './support/mailbox';

/** docs/sign-in-experience.md#self-sign-up and #invitations, through a real SMTP server. */
describe('self sign-up and invitations', () => {
  let gh: TestGatehouse;
  let mailbox: Awaited<ReturnType<typeof startMailbox>>;
  let admin: string;
  let org: { id: string };
  let app: { client_id: string };
  const password = 'User-Strong-Pass-42';
  const settings = (signup: string, signup_domains: string[] = []) =>
    gh.api('PUT', `/v1/orgs/${org.id}/sign-in-settings`, {
      token: admin,
      body: { passkeys: 'optional', mfa: 'optional', signup, signup_domains, default_locale: 'de' },
    });
  const signup = (email: string, extra: Record<string, unknown> = {}) =>
    gh.api('POST', `/v1/orgs/${org.id}/signup`, { body: { email, password, client_id: app.client_id, ...extra } });
  const verify = (token: string) => gh.api('POST', `/v1/orgs/${org.id}/signup/verify`, { body: { token } });
  const login = (email: string, pw = password) =>
    gh.api('POST', `/v1/orgs/${org.id}/users/login`, { body: { client_id: app.client_id, email, password: pw } });

  beforeAll(async () => {
    mailbox = await startMailbox();
    gh = await startGatehouse({ redis: true, env: { GATEHOUSE_SMTP_URL: mailbox.url } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'web', scopes: ['a'] },
      })
    ).body;
    await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email: 'old@acme.test', password } });
  });
  afterAll(async () => {
    await gh?.close();
    await mailbox?.close();
  });

  it('is off by default, and limited to the listed domains when so set', async () => {
    const off = await signup('new@acme.test');
    expect(off.status).toBe(403);
    expect(off.body.code).toBe('signup_not_allowed');
    expect((await settings('domains', ['acme.test'])).status).toBe(200);
    expect((await signup('new@elsewhere.test')).body.code).toBe('signup_not_allowed');
    expect((await signup('weak@acme.test', { password: 'short' })).status).toBe(400);
  });

  it('verifies the address by a mailed link before the account exists; the org default language is used', async () => {
    const res = await signup('new@acme.test');
    expect(res.status).toBe(202);
    expect((await login('new@acme.test')).status).toBe(401);
    const [mail] = await mailbox.waitFor('new@acme.test');
    expect(mail!.subject).toBe('Bestätigen Sie Ihre E-Mail-Adresse für Acme');
    const link = linkIn(mail!);
    expect(link.pathname).toBe(`/sign-in/${org.id}/verify-email`);
    const token = link.searchParams.get('token')!;
    expect(token).toMatch(/^ghv_/);
    const created = await verify(token);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'new@acme.test', email_verified: true });
    expect((await verify(token)).body.code).toBe('link_invalid');
    expect((await login('new@acme.test')).status).toBe(200);
    const user = await gh.api('GET', `/v1/orgs/${org.id}/users/${created.body.id}`, { token: admin });
    expect(user.body.email_verified).toBe(true);
  });

  it('answers the same for an address that has an account, and mails it a note instead of a link', async () => {
    const fresh = await signup('fresh@acme.test', { ui_locales: 'en' });
    const taken = await signup('old@acme.test', { ui_locales: 'en' });
    expect(taken.status).toBe(fresh.status);
    expect(taken.body).toEqual(fresh.body);
    const [note] = await mailbox.waitFor('old@acme.test');
    expect(note!.subject).toBe('You already have a Acme account');
    expect(note!.body).not.toMatch(/token=/);
    expect((await login('old@acme.test')).status).toBe(200);
  });

  it('accepts the org’s required policy on the way', async () => {
    expect(
      (await gh.api('PUT', `/v1/orgs/${org.id}/policy`, { token: admin, body: { required_version: '2026-12' } }))
        .status,
    ).toBe(200);
    expect((await signup('pol@acme.test')).body.errors).toEqual([
      { path: 'policy_version', message: expect.stringMatching(/2026-12/) },
    ]);
    expect((await signup('pol@acme.test', { policy_version: '2026-12' })).status).toBe(202);
    const [mail] = await mailbox.waitFor('pol@acme.test');
    const created = await verify(linkIn(mail!).searchParams.get('token')!);
    expect(created.status).toBe(201);
    // No policy step: the acceptance was recorded with the account.
    expect((await login('pol@acme.test')).body.access_token).toBeDefined();
    expect(
      (await gh.api('PUT', `/v1/orgs/${org.id}/policy`, { token: admin, body: { required_version: null } })).status,
    ).toBe(200);
  });

  it('limits sign-ups per address typed', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signup('again@acme.test')).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });

  it('an org admin invites an address; the invitee sets a password from the link', async () => {
    await settings('off');
    expect((await gh.api('POST', `/v1/orgs/${org.id}/invitations`, { body: { email: 'inv@acme.test' } })).status).toBe(
      401,
    );
    const invited = await gh.api('POST', `/v1/orgs/${org.id}/invitations`, {
      token: admin,
      body: { email: 'inv@acme.test', ui_locales: 'en' },
    });
    expect(invited.status).toBe(201);
    expect(invited.body).toEqual({ email: 'inv@acme.test', expires_at: expect.any(String) });
    expect(
      (await gh.api('POST', `/v1/orgs/${org.id}/invitations`, { token: admin, body: { email: 'old@acme.test' } }))
        .status,
    ).toBe(409);
    const [mail] = await mailbox.waitFor('inv@acme.test');
    expect(mail!.subject).toBe('You are invited to Acme');
    const token = linkIn(mail!).searchParams.get('token')!;
    const accept = (pw: string) =>
      gh.api('POST', `/v1/orgs/${org.id}/invitations/accept`, { body: { token, password: pw } });
    expect((await accept('short')).status).toBe(400);
    const accepted = await accept('Invited-Pass-4711');
    expect(accepted.status).toBe(201);
    expect(accepted.body.email_verified).toBe(true);
    expect((await accept('Invited-Pass-4712')).body.code).toBe('link_invalid');
    expect((await login('inv@acme.test', 'Invited-Pass-4711')).status).toBe(200);
    const actions = [
      ...new Set(
        (
          await gh.sql<{ action: string; outcome: string }>(
            `SELECT action, outcome FROM audit_events WHERE action IN ('user.invited', 'user.invitation.accepted', 'user.signup.requested', 'user.signup.verified') ORDER BY seq`,
          )
        ).map((r) => `${r.action}:${r.outcome}`),
      ),
    ];
    expect(actions.sort()).toEqual(
      [
        'user.signup.requested:success',
        'user.signup.requested:failure',
        'user.signup.verified:success',
        'user.signup.verified:failure',
        'user.invited:success',
        'user.invitation.accepted:success',
        'user.invitation.accepted:failure',
      ].sort(),
    );
    const audit = JSON.stringify(await gh.sql(`SELECT * FROM audit_events`));
    expect(audit).not.toContain(token);
    expect(gh.logs.join('\n')).not.toContain(token);
  });
});
