import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { linkIn, readMailDir, startMailbox } from './support/mailbox';

/** docs/sign-in-experience.md#password-reset, through a real SMTP server and through the .eml fallback. */
describe('password reset by email', () => {
  let gh: TestGatehouse;
  let mailbox: Awaited<ReturnType<typeof startMailbox>>;
  let admin: string;
  let org: { id: string };
  let otherOrg: { id: string };
  let app: { client_id: string };
  const password = 'User-Strong-Pass-42';
  const newPassword = 'Brand-New-Pass-4711';

  const login = (email: string, pw: string, ip = '10.0.0.1') =>
    gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
      body: { client_id: app.client_id, email, password: pw },
      headers: { 'x-forwarded-for': ip },
    });
  const requestReset = (email: string, headers: Record<string, string> = {}, orgId = org.id) =>
    gh.api('POST', `/v1/orgs/${orgId}/password-reset`, {
      body: { email, client_id: app.client_id },
      headers: { 'x-forwarded-for': '10.0.0.2', ...headers },
    });
  const complete = (token: string, pw: string, orgId = org.id) =>
    gh.api('POST', `/v1/orgs/${orgId}/password-reset/complete`, {
      body: { token, password: pw },
      headers: { 'x-forwarded-for': '10.0.0.3' },
    });

  beforeAll(async () => {
    mailbox = await startMailbox();
    // Production-mode configuration: an external database, a KEK, an SMTP server.
    gh = await startGatehouse({
      redis: true,
      env: {
        GATEHOUSE_TRUST_PROXY: 'true',
        GATEHOUSE_SMTP_URL: mailbox.url,
        GATEHOUSE_MAIL_FROM: 'Acme <id@acme.test>',
      },
    });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    otherOrg = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'web', scopes: ['a'] },
      })
    ).body;
    for (const email of ['rita@acme.test', 'otto@acme.test']) {
      await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } });
    }
  });
  afterAll(async () => {
    await gh?.close();
    await mailbox?.close();
  });

  it('answers the same for an account and for none, and mails only the account', async () => {
    const known = await requestReset('rita@acme.test');
    const unknown = await requestReset('nobody@acme.test');
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    const [mail] = await mailbox.waitFor('rita@acme.test');
    expect(mail!.subject).toBe('Reset your Acme password');
    expect(mail!.raw).toMatch(/^From: Acme <id@acme\.test>/m);
    expect(mail!.raw).toMatch(/Content-Type: multipart\/alternative/);
    const link = linkIn(mail!);
    expect(link.origin).toBe(gh.url);
    expect(link.pathname).toBe(`/sign-in/${org.id}/reset-password`);
    expect(link.searchParams.get('token')).toMatch(/^ghp_/);
    await new Promise((r) => setTimeout(r, 200));
    expect(mailbox.messages.filter((m) => m.to.includes('nobody@acme.test'))).toEqual([]);
  });

  it('sets the new password once, ends every session, and audits it', async () => {
    const session = await login('rita@acme.test', password);
    expect(session.status).toBe(200);
    const before = mailbox.messages.length;
    await requestReset('rita@acme.test');
    const mails = await mailbox.waitFor('rita@acme.test', 2);
    expect(mailbox.messages.length).toBe(before + 1);
    const token = linkIn(mails.at(-1)!).searchParams.get('token')!;

    // Another org's route names nothing; a weak password does not spend the link.
    expect((await complete(token, newPassword, otherOrg.id)).body.code).toBe('link_invalid');
    const weak = await complete(token, 'short');
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('validation_failed');

    expect((await complete(token, newPassword)).status).toBe(204);
    const again = await complete(token, 'Another-Pass-9999');
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('link_invalid');

    expect((await login('rita@acme.test', password)).status).toBe(401);
    expect((await login('rita@acme.test', newPassword)).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: session.body.access_token })).status).toBe(401);
    const refreshed = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: session.body.refresh_token }),
    });
    expect(refreshed.status).toBe(400);

    const [user] = await gh.sql<{ id: string; email_verified: boolean }>(
      `SELECT id, email_verified FROM users WHERE email = 'rita@acme.test'`,
    );
    expect(user!.email_verified).toBe(true);
    const rows = await gh.sql<{ action: string; outcome: string; reason: string | null; details: unknown }>(
      `SELECT action, outcome, reason, details FROM audit_events WHERE action LIKE 'user.password_reset.%' ORDER BY seq`,
    );
    expect(rows.map((r) => [r.action, r.outcome, r.reason])).toEqual([
      ['user.password_reset.requested', 'success', null],
      ['user.password_reset.requested', 'failure', 'unknown account'],
      ['user.password_reset.requested', 'success', null],
      ['user.password_reset.completed', 'failure', 'unknown, spent or expired link'],
      ['user.password_reset.completed', 'success', null],
      ['user.password_reset.completed', 'failure', 'unknown, spent or expired link'],
    ]);
    // The link never reaches the audit trail or the log.
    const all = JSON.stringify(await gh.sql(`SELECT * FROM audit_events`));
    expect(all).not.toContain(token);
    expect(gh.logs.join('\n')).not.toContain(token);
  });

  it('a newer link kills the older one; an expired link is refused; the mail follows the language asked for', async () => {
    await requestReset('otto@acme.test', { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' });
    await requestReset('otto@acme.test', { 'accept-language': 'fr, de;q=0.5' });
    const [first, second] = await mailbox.waitFor('otto@acme.test', 2);
    expect(first!.subject).toBe('Ihr Passwort bei Acme zurücksetzen');
    expect(second!.body).toContain('Neues Passwort wählen');
    expect((await complete(linkIn(first!).searchParams.get('token')!, newPassword)).body.code).toBe('link_invalid');
    await gh.sql(
      `UPDATE sign_in_interactions SET expires_at = now() - interval '1 second' WHERE kind = 'password_reset'`,
    );
    expect((await complete(linkIn(second!).searchParams.get('token')!, newPassword)).body.code).toBe('link_invalid');
  });

  it('limits requests per account and per address without telling accounts apart', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await requestReset('ghost@acme.test', { 'x-forwarded-for': '10.9.9.9' })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});

describe('password reset mail without SMTP', () => {
  it('is written as an .eml file and its path logged, not its link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-mail-'));
    const gh = await startGatehouse({ env: { GATEHOUSE_MAIL_DIR: dir } });
    try {
      const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
      const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } }))
        .body;
      await gh.api('POST', `/v1/orgs/${org.id}/users`, {
        token: admin,
        body: { email: 'eve@acme.test', password: 'User-Strong-Pass-42' },
      });
      expect(
        (
          await gh.api('POST', `/v1/orgs/${org.id}/password-reset`, {
            body: { email: 'eve@acme.test', ui_locales: 'de' },
          })
        ).status,
      ).toBe(202);
      let files = readMailDir(dir);
      for (let i = 0; i < 100 && files.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        files = readMailDir(dir);
      }
      expect(files).toHaveLength(1);
      expect(files[0]!.subject).toBe('Ihr Passwort bei Acme zurücksetzen');
      const token = linkIn(files[0]!).searchParams.get('token')!;
      for (let i = 0; i < 40 && !gh.logs.some((l) => l.includes(files[0]!.file)); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(gh.logs.some((l) => l.includes(files[0]!.file))).toBe(true);
      expect(gh.logs.join('\n')).not.toContain(token);
      expect(
        (
          await gh.api('POST', `/v1/orgs/${org.id}/password-reset/complete`, {
            body: { token, password: 'Brand-New-Pass-4711' },
          })
        ).status,
      ).toBe(204);
    } finally {
      await gh.close();
    }
  });
});
