import { decodeJwt } from 'jose';
import { cliCreateAdmin, loginAdmin, startGatehouse, totp, type TestGatehouse } from './support/gatehouse';

/** docs/sign-in-experience.md#mfa-for-users: enrol, sign in, replay refused, recovery codes spent once, org policy. */
describe('TOTP for users', () => {
  let gh: TestGatehouse;
  let admin: string;
  let org: { id: string };
  let otherOrg: { id: string };
  let app: { client_id: string };
  const password = 'User-Strong-Pass-42';
  const settings = (mfa: string) => ({
    passkeys: 'optional',
    mfa,
    signup: 'off',
    signup_domains: [],
    default_locale: 'en',
  });
  const setMfa = async (mfa: string) =>
    expect(
      (await gh.api('PUT', `/v1/orgs/${org.id}/sign-in-settings`, { token: admin, body: settings(mfa) })).status,
    ).toBe(200);
  const login = (email: string) =>
    gh.api('POST', `/v1/orgs/${org.id}/users/login`, { body: { client_id: app.client_id, email, password } });
  const mfa = (mfa_token: string, code: string, orgId = org.id) =>
    gh.api('POST', `/v1/orgs/${orgId}/users/login/mfa`, { body: { mfa_token, code } });

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    otherOrg = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'web', scopes: ['a'] },
      })
    ).body;
    for (const email of ['mia@acme.test', 'noah@acme.test', 'liv@acme.test']) {
      await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } });
    }
  });
  afterAll(() => gh?.close());

  let secret: string;
  let recovery: string[];

  it('a user enrols from /v1/me/mfa and gets recovery codes once', async () => {
    const first = await login('mia@acme.test');
    expect(first.status).toBe(200);
    expect(decodeJwt(first.body.access_token).amr).toEqual(['pwd']);
    const me = first.body.access_token as string;
    const enrol = await gh.api('POST', '/v1/me/mfa/enroll', { token: me });
    expect(enrol.status).toBe(200);
    expect(enrol.body.otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
    expect(enrol.body.qr_svg).toMatch(/^<svg/);
    secret = enrol.body.secret;
    expect((await gh.api('POST', '/v1/me/mfa/activate', { token: me, body: { code: '000000' } })).body.code).toBe(
      'mfa_failed',
    );
    const activated = await gh.api('POST', '/v1/me/mfa/activate', {
      token: me,
      body: { code: await totp(secret, -1) },
    });
    expect(activated.status).toBe(200);
    recovery = activated.body.recovery_codes;
    expect(recovery).toHaveLength(10);
    expect((await gh.api('POST', '/v1/me/mfa/enroll', { token: me })).body.code).toBe('mfa_already_active');
    // Administrators keep their own routes.
    expect((await gh.api('POST', '/v1/me/mfa/enroll', { token: admin })).status).toBe(403);
  });

  it('sign-in then asks for the second step; a code is accepted once', async () => {
    const step = await login('mia@acme.test');
    expect(step.status).toBe(200);
    expect(step.body).toEqual({
      mfa_token: expect.stringMatching(/^ghu_/),
      expires_in: 300,
      methods: ['totp', 'recovery_code'],
    });
    expect(step.body.access_token).toBeUndefined();
    const code = await totp(secret, 0);
    // Another org's route names nothing; a wrong code fails the same way.
    expect((await mfa(step.body.mfa_token, code, otherOrg.id)).body.code).toBe('mfa_failed');
    expect((await mfa(step.body.mfa_token, '123456')).body.code).toBe('mfa_failed');
    const done = await mfa(step.body.mfa_token, code);
    expect(done.status).toBe(200);
    expect(decodeJwt(done.body.access_token)).toMatchObject({ tier: 'user', amr: ['pwd', 'otp', 'mfa'] });
    expect(done.body.refresh_token).toMatch(/^ghr_/);
    // The mfa_token is spent, and the same code in a new sign-in is a replay.
    expect((await mfa(step.body.mfa_token, await totp(secret, 1))).body.code).toBe('mfa_failed');
    const again = await login('mia@acme.test');
    expect((await mfa(again.body.mfa_token, code)).body.code).toBe('mfa_failed');
    expect((await mfa(again.body.mfa_token, await totp(secret, 1))).status).toBe(200);
  });

  it('a recovery code works once, in any case and spacing', async () => {
    const rc = recovery[0]!;
    const step = await login('mia@acme.test');
    expect((await mfa(step.body.mfa_token, ` ${rc.toUpperCase().replace('-', ' ')} `)).status).toBe(200);
    const step2 = await login('mia@acme.test');
    expect((await mfa(step2.body.mfa_token, rc)).body.code).toBe('mfa_failed');
    expect((await mfa(step2.body.mfa_token, recovery[1]!)).status).toBe(200);
    const [row] = await gh.sql<{ details: { remaining: number } }>(
      `SELECT details FROM audit_events WHERE action = 'user.recovery_code.used' ORDER BY seq DESC LIMIT 1`,
    );
    expect(row!.details.remaining).toBe(8);
  });

  it('an org that requires MFA enrols a user at the next sign-in, and keeps the factor', async () => {
    await setMfa('required');
    const step = await login('noah@acme.test');
    expect(step.body).toMatchObject({ mfa_enrollment_required: true, methods: ['totp', 'passkey'] });
    // Without a seed there is nothing to check.
    expect((await mfa(step.body.mfa_token, '123456')).body.code).toBe('mfa_failed');
    const seed = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa/enroll`, {
      body: { mfa_token: step.body.mfa_token },
    });
    expect(seed.status).toBe(200);
    const done = await mfa(step.body.mfa_token, await totp(seed.body.secret, 0));
    expect(done.status).toBe(200);
    expect(done.body.recovery_codes).toHaveLength(10);
    expect(decodeJwt(done.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);
    const removal = await gh.api('DELETE', '/v1/me/mfa', {
      token: done.body.access_token,
      body: { code: done.body.recovery_codes[0] },
    });
    expect(removal.status).toBe(403);
    expect(removal.body.code).toBe('factor_not_allowed');
  });

  it('with MFA off a password signs in alone and nobody enrols; optional lets a user remove the factor', async () => {
    await setMfa('off');
    const direct = await login('mia@acme.test');
    expect(direct.body.access_token).toBeDefined();
    const liv = (await login('liv@acme.test')).body.access_token;
    expect((await gh.api('POST', '/v1/me/mfa/enroll', { token: liv })).body.code).toBe('factor_not_allowed');
    await setMfa('optional');
    const step = await login('mia@acme.test');
    const tokens = (await mfa(step.body.mfa_token, recovery[2]!)).body;
    expect(
      (await gh.api('DELETE', '/v1/me/mfa', { token: tokens.access_token, body: { code: '000000' } })).status,
    ).toBe(401);
    expect(
      (await gh.api('DELETE', '/v1/me/mfa', { token: tokens.access_token, body: { code: recovery[3] } })).status,
    ).toBe(204);
    expect((await login('mia@acme.test')).body.access_token).toBeDefined();
  });

  it('keeps seeds and codes out of logs and audit rows', async () => {
    const audit = JSON.stringify(await gh.sql(`SELECT * FROM audit_events`));
    const logs = gh.logs.join('\n');
    for (const s of [secret, ...recovery]) {
      expect(audit).not.toContain(s);
      expect(logs).not.toContain(s);
    }
    const actions = (await gh.sql<{ action: string }>(`SELECT DISTINCT action FROM audit_events`)).map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'user.mfa.enrolled',
        'user.mfa.activated',
        'user.mfa.removed',
        'user.login.second_factor_required',
        'user.login.mfa',
        'user.recovery_code.used',
      ]),
    );
  });
});
