import { generate } from 'otplib';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/**
 * Runs a full journey with every kind of secret in play, then looks for each secret in
 * every captured log line, every audit row and every later API response.
 */
describe('no secret leaves after creation', () => {
  let gh: TestGatehouse;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    gh = await startGatehouse({ env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(() => gh?.close());

  it('keeps passwords, client secrets, TOTP seeds, recovery codes, refresh tokens, policy tokens and keys out of logs, audit and responses', async () => {
    const admin = await cliCreateAdmin(gh, { platform: true });
    secrets.adminPassword = admin.password;
    secrets.totpSeed = admin.mfa.secret;
    admin.mfa.recovery_codes.forEach((c, i) => (secrets[`recovery${i}`] = c));

    const session = await loginAdmin(gh, admin);
    secrets.refresh = session.refresh_token;

    // a failed login carrying a password that must not be logged either
    await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: 'Typo-Password-123' } });
    secrets.typo = 'Typo-Password-123';

    const org = await gh.api('POST', '/v1/orgs', {
      token: session.access_token,
      body: { name: 'acme', display_name: 'Acme' },
    });
    const app = await gh.api('POST', `/v1/orgs/${org.body.id}/apps`, {
      token: session.access_token,
      body: { password_login: true, name: 'billing', scopes: ['invoices:read'] },
    });
    expect(app.status).toBe(201);
    secrets.clientSecret = app.body.client_secret;
    const user = await gh.api('POST', `/v1/orgs/${org.body.id}/users`, {
      token: session.access_token,
      body: { email: 'carol@acme.test', password: 'Strong-Pass-For-Her-7' },
    });
    expect(user.status).toBe(201);
    secrets.userPassword = 'Strong-Pass-For-Her-7';

    // The policy step of user sign-in (docs/control.md#policy): a single-use policy_token in
    // the refusal, sent back once to complete the sign-in and once more as a replay.
    const policy = await gh.api('PUT', `/v1/orgs/${org.body.id}/policy`, {
      token: session.access_token,
      body: { required_version: '2026-12' },
    });
    expect(policy.status).toBe(200);
    const stopped = await gh.api('POST', `/v1/orgs/${org.body.id}/users/login`, {
      body: { client_id: app.body.client_id, email: 'carol@acme.test', password: 'Strong-Pass-For-Her-7' },
    });
    expect(stopped.status).toBe(403);
    secrets.policyToken = stopped.body.policy_token;
    const step = { policy_token: secrets.policyToken, version: '2026-12' };
    const stepped = await gh.api('POST', `/v1/orgs/${org.body.id}/users/login/policy`, { body: step });
    expect(stepped.status).toBe(200);
    secrets.userRefresh = stepped.body.refresh_token;
    expect((await gh.api('POST', `/v1/orgs/${org.body.id}/users/login/policy`, { body: step })).status).toBe(401);

    const rotated = await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: session.refresh_token } });
    secrets.refresh2 = rotated.body.refresh_token;
    // deferred enrolment exposes a second TOTP seed through the API, once
    const late = await cliCreateAdmin(gh, { platform: true, deferMfa: true });
    const lateLogin = await gh.api('POST', '/v1/admin/login', { body: { email: late.email, password: late.password } });
    const enrol = await gh.api('POST', '/v1/admin/mfa/enroll', { token: lateLogin.body.access_token });
    secrets.lateSeed = enrol.body.secret;
    const act = await gh.api('POST', '/v1/admin/mfa/activate', {
      token: lateLogin.body.access_token,
      body: { code: await generate({ secret: enrol.body.secret }) },
    });
    act.body.recovery_codes.forEach((c: string, i: number) => (secrets[`lateRecovery${i}`] = c));

    const keys = await gh.sql<{ private_key_enc: string }>('SELECT private_key_enc FROM signing_keys');
    const pem = gh.runtime.kek.toString('base64');
    secrets.kek = pem;

    // Later reads of everything that was created.
    const reads = await Promise.all([
      gh.api('GET', '/v1/me', { token: rotated.body.access_token }),
      gh.api('GET', '/v1/orgs', { token: rotated.body.access_token }),
      gh.api('GET', `/v1/orgs/${org.body.id}/apps`, { token: rotated.body.access_token }),
      gh.api('GET', `/v1/orgs/${org.body.id}/apps/${app.body.id}`, { token: rotated.body.access_token }),
      gh.api('GET', `/v1/orgs/${org.body.id}/users`, { token: rotated.body.access_token }),
      gh.api('GET', '/.well-known/jwks.json'),
    ]);
    const jwks = reads[5].body as { keys: Record<string, unknown>[] };
    for (const k of jwks.keys) for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k[p]).toBeUndefined();
    for (const k of keys) expect(k.private_key_enc).toMatch(/^v1\./);

    const audit = JSON.stringify(await gh.sql('SELECT * FROM audit_events'));
    const logs = gh.logs.join('\n');
    const responses = reads.map((r) => r.text).join('\n');
    expect(gh.logs.length).toBeGreaterThan(20);
    expect(logs).toContain('request_id');

    const leaks: string[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length).toBeGreaterThan(8);
      if (logs.includes(value)) leaks.push(`${name} in logs`);
      if (audit.includes(value)) leaks.push(`${name} in audit`);
      if (responses.includes(value)) leaks.push(`${name} in later responses`);
    }
    expect(leaks).toEqual([]);
  });
});
