import { generate } from 'otplib';
import { cliCreateAdmin, startGatehouse, type CliAdmin, type TestGatehouse } from './support/gatehouse';

/** The whole admin journey: CLI → password → TOTP → replay refused → lockout → recovery → refresh → logout. */
describe('admin journey', () => {
  let gh: TestGatehouse;
  let admin: CliAdmin;

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = await cliCreateAdmin(gh, { platform: true });
  });
  afterAll(() => gh?.close());

  const stepCode = (offset: number) =>
    generate({ secret: admin.mfa.secret, epoch: (Math.floor(Date.now() / 30_000) + offset) * 30 + 1 });

  it('the CLI prints the admin with a TOTP secret, otpauth URI and ten recovery codes', () => {
    expect(admin.id).toMatch(/^adm_[0-9A-Z]{26}$/);
    expect(admin.role).toBe('platform');
    expect(admin.mfa.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(admin.mfa.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Gatehouse:.*\?.*secret=/);
    expect(admin.mfa.recovery_codes).toHaveLength(10);
  });

  let session: { access_token: string; refresh_token: string };
  let usedCode: string;

  it('signs in with password then TOTP and gets an RS256 at+jwt admin token without an org', async () => {
    const login = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    expect(login.status).toBe(200);
    expect(login.body.mfa_token).toMatch(/^ghc_/);
    expect(login.body.access_token).toBeUndefined();

    usedCode = await stepCode(0);
    const mfa = await gh.api('POST', '/v1/admin/login/mfa', {
      body: { mfa_token: login.body.mfa_token, code: usedCode },
    });
    expect(mfa.status).toBe(200);
    expect(mfa.body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'admin' });
    expect(mfa.body.refresh_token).toMatch(/^ghr_/);
    session = mfa.body;

    const [h, p] = session.access_token
      .split('.')
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()));
    expect(h).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(h.kid).toMatch(/^key_/);
    expect(p).toMatchObject({ iss: gh.url, aud: gh.url, sub: admin.id, tier: 'admin', scope: 'admin' });
    expect(p.org).toBeUndefined();
    expect(p.org_id).toBeUndefined();
    expect(p.exp - p.iat).toBe(600);

    const me = await gh.api('GET', '/v1/me', { token: session.access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ tier: 'admin', id: admin.id, role: 'platform', email: admin.email });
  });

  it('the mfa_token is single-use', async () => {
    const login = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    const ok = await gh.api('POST', '/v1/admin/login/mfa', {
      body: { mfa_token: login.body.mfa_token, code: await stepCode(1) },
    });
    expect(ok.status).toBe(200);
    const again = await gh.api('POST', '/v1/admin/login/mfa', {
      body: { mfa_token: login.body.mfa_token, code: await stepCode(1) },
    });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('mfa_failed');
  });

  it('refuses a TOTP code whose time step was already accepted (replay), with the same error as a wrong code', async () => {
    const login = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    const replay = await gh.api('POST', '/v1/admin/login/mfa', {
      body: { mfa_token: login.body.mfa_token, code: usedCode },
    });
    expect(replay.status).toBe(401);
    const wrong = await gh.api('POST', '/v1/admin/login/mfa', {
      body: { mfa_token: login.body.mfa_token, code: '000000' },
    });
    expect(wrong.status).toBe(401);
    expect(replay.body.code).toBe('mfa_failed');
    expect(wrong.body.detail).toBe(replay.body.detail);
  });

  it('a recovery code replaces a TOTP code once', async () => {
    const code = admin.mfa.recovery_codes[0];
    const login = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    const ok = await gh.api('POST', '/v1/admin/login/mfa', {
      body: { mfa_token: login.body.mfa_token, code: code.toUpperCase() },
    });
    expect(ok.status).toBe(200);
    const login2 = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
    const reuse = await gh.api('POST', '/v1/admin/login/mfa', { body: { mfa_token: login2.body.mfa_token, code } });
    expect(reuse.status).toBe(401);
    const rows = await gh.sql(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'admin.recovery_code.used' AND actor_id = $1`,
      [admin.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('rotates the refresh token on every use', async () => {
    const r1 = await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: session.refresh_token } });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(session.refresh_token);
    const me = await gh.api('GET', '/v1/me', { token: r1.body.access_token });
    expect(me.status).toBe(200);
    session = r1.body;
  });

  it('presenting a spent refresh token revokes the whole family and is audited', async () => {
    const r1 = await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: session.refresh_token } });
    expect(r1.status).toBe(200);
    const stolen = await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: session.refresh_token } });
    expect(stolen.status).toBe(400);
    expect(stolen.body.code).toBe('invalid_grant');
    // the legitimate successor dies with the family
    const successor = await gh.api('POST', '/v1/admin/token/refresh', {
      body: { refresh_token: r1.body.refresh_token },
    });
    expect(successor.status).toBe(400);
    const rows = await gh.sql(
      `SELECT outcome FROM audit_events WHERE action = 'token.refresh_reuse_detected' AND actor_id = $1`,
      [admin.id],
    );
    expect(rows).toEqual([{ outcome: 'failure' }]);
  });

  it('logout ends the refresh family', async () => {
    const s = await (async () => {
      const login = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
      const m = await gh.api('POST', '/v1/admin/login/mfa', {
        body: { mfa_token: login.body.mfa_token, code: admin.mfa.recovery_codes[1] },
      });
      expect(m.status).toBe(200);
      return m.body;
    })();
    const out = await gh.api('POST', '/v1/admin/logout', {
      token: s.access_token,
      body: { refresh_token: s.refresh_token },
    });
    expect(out.status).toBe(204);
    const refresh = await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: s.refresh_token } });
    expect(refresh.status).toBe(400);
  });

  it('backs off, then locks the account after repeated failures; even the right password waits', async () => {
    const victim = await cliCreateAdmin(gh, { platform: true });
    const statuses: number[] = [];
    for (let i = 0; i < 8 && !statuses.includes(429); i++) {
      const r = await gh.api('POST', '/v1/admin/login', {
        body: { email: victim.email, password: 'Wrong-password-123' },
      });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses).toContain(429);
    // Drive it to the full lock: wait out each back-off by clearing it, as time would.
    for (let i = 0; i < 5; i++) {
      await gh.sql(`UPDATE administrators SET locked_until = NULL WHERE id = $1 AND failed_attempts < 5`, [victim.id]);
      await gh.api('POST', '/v1/admin/login', { body: { email: victim.email, password: 'Wrong-password-123' } });
    }
    const locked = await gh.api('POST', '/v1/admin/login', {
      body: { email: victim.email, password: victim.password },
    });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('account_locked');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    const audit = await gh.sql(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'admin.login.locked' AND actor_id = $1`,
      [victim.id],
    );
    expect(audit[0].n).toBeGreaterThan(0);
  });

  it('unknown accounts and wrong passwords get the same answer', async () => {
    const unknown = await gh.api('POST', '/v1/admin/login', {
      body: { email: 'nobody@example.test', password: 'Whatever-123456' },
    });
    const other = await cliCreateAdmin(gh, { platform: true });
    const wrong = await gh.api('POST', '/v1/admin/login', {
      body: { email: other.email, password: 'Whatever-123456' },
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.detail).toBe(wrong.body.detail);
  });
});
