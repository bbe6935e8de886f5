import { decodeJwt } from 'jose';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { SoftAuthenticator } from './support/soft-authenticator';

/** docs/sign-in-experience.md#passkeys: registration, first and second factor, org policy, refusals. */
describe('passkeys', () => {
  let gh: TestGatehouse;
  let admin: string;
  let org: { id: string };
  let app: { client_id: string };
  let device: SoftAuthenticator;
  let origin: string;
  const password = 'User-Strong-Pass-42';
  const setPasskeys = async (passkeys: string, mfa = 'optional') =>
    expect(
      (
        await gh.api('PUT', `/v1/orgs/${org.id}/sign-in-settings`, {
          token: admin,
          body: { passkeys, mfa, signup: 'off', signup_domains: [], default_locale: 'en' },
        })
      ).status,
    ).toBe(200);
  const login = (email: string) =>
    gh.api('POST', `/v1/orgs/${org.id}/users/login`, { body: { client_id: app.client_id, email, password } });
  const passkeyLogin = async (d: SoftAuthenticator, lie = {}) => {
    const options = await gh.api('POST', `/v1/orgs/${org.id}/users/login/passkey/options`, {
      body: { client_id: app.client_id },
    });
    expect(options.status).toBe(200);
    const response = d.get(options.body, lie);
    return {
      response,
      result: await gh.api('POST', `/v1/orgs/${org.id}/users/login/passkey`, {
        body: { client_id: app.client_id, response },
      }),
    };
  };
  const register = async (token: string, d: SoftAuthenticator, lie = {}, name?: string) => {
    const options = await gh.api('POST', '/v1/me/passkeys/registration-options', { token });
    expect(options.status).toBe(200);
    return gh.api('POST', '/v1/me/passkeys', { token, body: { response: d.create(options.body, lie), name } });
  };
  const rejections = () =>
    gh.sql<{ reason: string }>(`SELECT reason FROM audit_events WHERE action = 'passkey.rejected' ORDER BY seq`);

  beforeAll(async () => {
    gh = await startGatehouse();
    // An issuer on 127.0.0.1 serves passkeys on localhost (browsers refuse them on an IP address).
    origin = gh.url.replace('127.0.0.1', 'localhost');
    device = new SoftAuthenticator(origin, 'localhost');
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'web', scopes: ['a'] },
      })
    ).body;
    for (const email of ['pia@acme.test', 'max@acme.test']) {
      await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password } });
    }
  });
  afterAll(() => gh?.close());

  it('a signed-in user registers a passkey, lists, renames it', async () => {
    const token = (await login('pia@acme.test')).body.access_token;
    const options = await gh.api('POST', '/v1/me/passkeys/registration-options', { token });
    expect(options.body).toMatchObject({
      rp: { id: 'localhost', name: 'Acme' },
      user: { name: 'pia@acme.test' },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    const created = await gh.api('POST', '/v1/me/passkeys', {
      token,
      body: { response: device.create(options.body), name: 'Laptop' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^pky_/), name: 'Laptop', backed_up: true });
    // The same challenge twice is a replay.
    const replay = await gh.api('POST', '/v1/me/passkeys', { token, body: { response: device.create(options.body) } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('passkey_failed');
    device.credentials.pop();
    const renamed = await gh.api('PATCH', `/v1/me/passkeys/${created.body.id}`, {
      token,
      body: { name: 'Work laptop' },
    });
    expect(renamed.body.name).toBe('Work laptop');
    expect((await gh.api('GET', '/v1/me/passkeys', { token })).body).toEqual([renamed.body]);
    const [row] = await gh.sql<{ counter: string; backed_up: boolean; device_type: string }>(
      `SELECT counter, backed_up, device_type FROM passkeys`,
    );
    expect(row).toEqual({ counter: '0', backed_up: true, device_type: 'multiDevice' });
  });

  it('refuses a registration from a wrong origin or for a wrong RP ID, and audits why', async () => {
    const token = (await login('max@acme.test')).body.access_token;
    const evil = new SoftAuthenticator('https://evil.test', 'localhost');
    expect((await register(token, evil)).body.code).toBe('passkey_failed');
    expect((await register(token, device, { rpId: 'evil.test' })).body.code).toBe('passkey_failed');
    device.credentials.pop();
    const reasons = (await rejections()).map((r) => r.reason);
    expect(reasons).toEqual([
      'challenge already used or expired',
      expect.stringMatching(/origin/i),
      expect.stringMatching(/RP ID/i),
    ]);
  });

  it('signs in with the passkey alone (first factor), once per challenge', async () => {
    const { response, result } = await passkeyLogin(device);
    expect(result.status).toBe(200);
    const claims = decodeJwt(result.body.access_token);
    expect(claims).toMatchObject({ tier: 'user', amr: ['hwk', 'user', 'mfa'], client_id: app.client_id });
    const replay = await gh.api('POST', `/v1/orgs/${org.id}/users/login/passkey`, {
      body: { client_id: app.client_id, response },
    });
    expect(replay.body.code).toBe('passkey_failed');
    const [row] = await gh.sql<{ counter: string; last_used_at: Date | null }>(
      `SELECT counter, last_used_at FROM passkeys`,
    );
    expect(row!.counter).toBe('1');
    expect(row!.last_used_at).not.toBeNull();
  });

  it('refuses an unknown credential, a wrong RP ID and a wrong origin alike', async () => {
    const stranger = new SoftAuthenticator(origin, 'localhost');
    stranger.create({ challenge: 'x', user: { id: 'dXNy' } });
    const unknown = await passkeyLogin(stranger);
    const wrongRp = await passkeyLogin(device, { rpId: 'evil.test' });
    const wrongOrigin = await passkeyLogin(device, { origin: 'https://evil.test' });
    for (const r of [unknown, wrongRp, wrongOrigin]) {
      expect(r.result.status).toBe(401);
      expect({ ...r.result.body, request_id: null }).toEqual({ ...unknown.result.body, request_id: null });
    }
    const reasons = (await rejections()).map((r) => r.reason).slice(-3);
    expect(reasons).toEqual(['unknown credential', expect.stringMatching(/RP ID/i), expect.stringMatching(/origin/i)]);
  });

  it('password then passkey as the second factor', async () => {
    const step = await login('pia@acme.test');
    expect(step.body).toMatchObject({ mfa_token: expect.stringMatching(/^ghu_/), methods: ['passkey'] });
    const options = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa/passkey-options`, {
      body: { mfa_token: step.body.mfa_token },
    });
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials).toHaveLength(1);
    const done = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa`, {
      body: { mfa_token: step.body.mfa_token, passkey: device.get(options.body) },
    });
    expect(done.status).toBe(200);
    expect(decodeJwt(done.body.access_token).amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
  });

  it('an org that requires passkeys enforces them; an org that turns them off refuses them', async () => {
    await setPasskeys('required', 'off');
    const without = await login('max@acme.test');
    expect(without.body).toMatchObject({ mfa_enrollment_required: true, methods: ['passkey'] });
    expect(without.body.access_token).toBeUndefined();
    // The enrolment: register a passkey with the mfa_token, which completes the sign-in.
    const maxDevice = new SoftAuthenticator(origin, 'localhost');
    const regOptions = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa/passkey-registration-options`, {
      body: { mfa_token: without.body.mfa_token },
    });
    expect(regOptions.status).toBe(200);
    const enrolled = await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa`, {
      body: { mfa_token: without.body.mfa_token, passkey_registration: maxDevice.create(regOptions.body) },
    });
    expect(enrolled.status).toBe(200);
    expect(decodeJwt(enrolled.body.access_token).amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    expect((await login('max@acme.test')).body.methods).toEqual(['passkey']);
    const withOne = await login('pia@acme.test');
    expect(withOne.body.methods).toEqual(['passkey']);
    expect(
      (
        await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa`, {
          body: { mfa_token: withOne.body.mfa_token, code: '123456' },
        })
      ).body.code,
    ).toBe('mfa_failed');

    await setPasskeys('off');
    expect((await login('pia@acme.test')).body.access_token).toBeDefined();
    const refused = await gh.api('POST', `/v1/orgs/${org.id}/users/login/passkey/options`, {
      body: { client_id: app.client_id },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('factor_not_allowed');
    await setPasskeys('optional');
  });

  it('administrators register their own; org admins list and delete a user’s', async () => {
    const adminDevice = new SoftAuthenticator(origin, 'localhost');
    const mine = await register(admin, adminDevice, {}, 'YubiKey');
    expect(mine.status).toBe(201);
    expect((await gh.api('GET', '/v1/me/passkeys', { token: admin })).body).toHaveLength(1);
    const [pia] = await gh.sql<{ id: string }>(`SELECT id FROM users WHERE email = 'pia@acme.test'`);
    const listed = await gh.api('GET', `/v1/orgs/${org.id}/users/${pia!.id}/passkeys`, { token: admin });
    expect(listed.body).toHaveLength(1);
    // An admin's passkey is not a user's: not found under the user.
    expect(
      (await gh.api('DELETE', `/v1/orgs/${org.id}/users/${pia!.id}/passkeys/${mine.body.id}`, { token: admin })).status,
    ).toBe(404);
    expect(
      (await gh.api('DELETE', `/v1/orgs/${org.id}/users/${pia!.id}/passkeys/${listed.body[0].id}`, { token: admin }))
        .status,
    ).toBe(204);
    expect((await passkeyLogin(device)).result.body.code).toBe('passkey_failed');
  });

  it('keeps challenges out of logs and audit rows', async () => {
    const options = await gh.api('POST', `/v1/orgs/${org.id}/users/login/passkey/options`, {
      body: { client_id: app.client_id },
    });
    const challenge = Buffer.from(options.body.challenge, 'base64url').toString('utf8');
    expect(challenge).toMatch(/^ghw_/);
    const all = JSON.stringify(await gh.sql(`SELECT * FROM audit_events`)) + gh.logs.join('\n');
    expect(all).not.toContain(challenge);
    expect(all).not.toContain(options.body.challenge);
  });
});
