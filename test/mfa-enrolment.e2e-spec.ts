import { generate } from 'otplib';
import { cliCreateAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/** An admin created with --defer-mfa: the password buys only enrolment, then TOTP is required. */
describe('MFA enrolment', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse();
  });
  afterAll(() => gh?.close());

  it('enrols, activates with a valid code, returns ten recovery codes, then requires TOTP', async () => {
    const admin = await cliCreateAdmin(gh, { platform: true, deferMfa: true });
    expect(admin.mfa).toBeNull();

    const login = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ mfa_enrollment_required: true, scope: 'mfa:enroll', token_type: 'Bearer' });
    const enrolToken = login.body.access_token;

    // The enrolment-only token opens nothing else.
    expect((await gh.api('GET', '/v1/orgs', { token: enrolToken })).status).toBe(403);
    expect(
      (await gh.api('POST', '/v1/admin/mfa/activate', { token: enrolToken, body: { code: '123456' } })).status,
    ).toBe(409);

    const enrol = await gh.api('POST', '/v1/admin/mfa/enroll', { token: enrolToken });
    expect(enrol.status).toBe(200);
    expect(enrol.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrol.body.otpauth_uri).toContain(`secret=${enrol.body.secret}`);
    expect(enrol.body.qr_svg).toMatch(/^<svg/);
    const stored = await gh.sql<{ totp_secret_enc: string }>(
      'SELECT totp_secret_enc FROM administrators WHERE id = $1',
      [admin.id],
    );
    expect(stored[0].totp_secret_enc).toMatch(/^v1\./);
    expect(stored[0].totp_secret_enc).not.toContain(enrol.body.secret);

    const wrong = await gh.api('POST', '/v1/admin/mfa/activate', { token: enrolToken, body: { code: '000000' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('mfa_failed');

    const code = await generate({ secret: enrol.body.secret });
    const activate = await gh.api('POST', '/v1/admin/mfa/activate', { token: enrolToken, body: { code } });
    expect(activate.status).toBe(200);
    expect(activate.body.recovery_codes).toHaveLength(10);
    const hashes = await gh.sql<{ code_hash: string }>('SELECT code_hash FROM recovery_codes WHERE admin_id = $1', [
      admin.id,
    ]);
    expect(hashes).toHaveLength(10);
    expect(hashes.map((h) => h.code_hash)).not.toContain(activate.body.recovery_codes[0]);

    // Enrolment is over: the enrolment token no longer authenticates, and sign-in needs TOTP.
    expect((await gh.api('GET', '/v1/me', { token: enrolToken })).status).toBe(401);
    expect((await gh.api('POST', '/v1/admin/mfa/enroll', { token: enrolToken })).status).toBe(401);
    const again = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    expect(again.body.mfa_token).toMatch(/^ghc_/);
    // The step used to activate cannot sign in.
    const replay = await gh.api('POST', '/v1/admin/login/mfa', { body: { mfa_token: again.body.mfa_token, code } });
    expect(replay.status).toBe(401);
    const ok = await gh.api('POST', '/v1/admin/login/mfa', {
      body: { mfa_token: again.body.mfa_token, code: activate.body.recovery_codes[0] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.scope).toBe('admin');

    const actions = (
      await gh.sql<{ action: string }>('SELECT action FROM audit_events WHERE actor_id = $1 ORDER BY seq', [admin.id])
    ).map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'admin.login.password',
        'admin.mfa.enrolled',
        'admin.mfa.activated',
        'admin.login.mfa',
        'token.issued',
      ]),
    );
  });
});
