import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SigningKeyService } from '@gatehouse/keys';
import { AccessTokenService } from '@gatehouse/tokens';
import { SignJWT, type JWTPayload } from 'jose';
import {
  cliCreateAdmin,
  startGatehouse,
  type ApiResponse,
  type CliAdmin,
  type TestGatehouse,
} from './support/gatehouse';

/**
 * Bearer-token verification against forgeries (docs/design.md §3, §8; RFC 6750 §3;
 * RFC 8725 §2.1, §3.1): `alg: none`, HS256 keyed with our public key (PEM and JWK),
 * foreign RSA keys with an unknown or a borrowed `kid`, an embedded `jwk`, a tampered
 * payload, expiry, wrong `iss`/`aud`/`typ`. Every refusal is 401 with
 * `error="invalid_token"`. Also: no or non-Bearer Authorization, and an enrolment-only
 * admin token on a full-session route (403 insufficient_scope).
 */
describe('forged and unacceptable tokens', () => {
  let gh: TestGatehouse;
  let admin: CliAdmin;
  let kid: string;
  let claims: JWTPayload;
  let realKey: KeyObject;
  let publicJwk: { kty: string; n: string; e: string; kid: string; alg: string; use: string };

  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const me = (token: string) => gh.api('GET', '/v1/me', { token });
  const sign = (key: KeyObject | Uint8Array, header: Record<string, unknown>, payload: JWTPayload = claims) =>
    new SignJWT(payload).setProtectedHeader(header as never).sign(key);

  function expectRefused(res: ApiResponse, description?: RegExp) {
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('invalid_token');
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer realm="gatehouse", /);
    expect(challenge).toContain('error="invalid_token"');
    if (description) expect(challenge).toMatch(description);
  }

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = await cliCreateAdmin(gh, { platform: true });
    const minted = await gh.app
      .get(AccessTokenService)
      .mint({ tier: 'admin', sub: admin.id, scopes: ['admin'], ttlS: 600 });
    claims = minted.claims as unknown as JWTPayload;
    const signer = gh.app.get(SigningKeyService).currentSigner();
    kid = signer.kid;
    realKey = signer.key;
    const jwks = await gh.api('GET', '/.well-known/jwks.json');
    publicJwk = jwks.body.keys.find((k: { kid: string }) => k.kid === kid);
  });
  afterAll(() => gh?.close());

  it('accepts the untampered claims signed by the real key (the control for every case below)', async () => {
    expect(publicJwk).toMatchObject({ kty: 'RSA', kid });
    const token = await sign(realKey, { alg: 'RS256', typ: 'at+jwt', kid });
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tier: 'admin', id: admin.id });
  });

  it('refuses alg "none" (empty signature and signature copied from a real token)', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims)}.`;
    expectRefused(await me(unsigned));
    const real = await sign(realKey, { alg: 'RS256', typ: 'at+jwt', kid });
    const withSig = `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims)}.${real.split('.')[2]}`;
    expectRefused(await me(withSig));
  });

  it('refuses HS256 keyed with the server public key as PEM (key confusion)', async () => {
    const key = createPublicKey({ key: publicJwk, format: 'jwk' });
    for (const pem of [key.export({ type: 'spki', format: 'pem' }), key.export({ type: 'pkcs1', format: 'pem' })]) {
      const token = await sign(new Uint8Array(Buffer.from(pem as string)), { alg: 'HS256', typ: 'at+jwt', kid });
      expectRefused(await me(token), /RS256/);
    }
  });

  it('refuses HS256 keyed with the raw JWKS entry as JSON', async () => {
    for (const secret of [
      JSON.stringify(publicJwk),
      JSON.stringify({ kty: 'RSA', n: publicJwk.n, e: publicJwk.e }),
      publicJwk.n,
    ]) {
      const token = await sign(new TextEncoder().encode(secret), { alg: 'HS256', typ: 'at+jwt', kid });
      expectRefused(await me(token), /RS256/);
    }
  });

  it('refuses a token signed by a foreign RSA key under an unknown kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expectRefused(
      await me(await sign(privateKey, { alg: 'RS256', typ: 'at+jwt', kid: 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV' })),
      /unknown key/,
    );
    expectRefused(await me(await sign(privateKey, { alg: 'RS256', typ: 'at+jwt' })));
  });

  it('refuses a token signed by a foreign RSA key that claims the real kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expectRefused(await me(await sign(privateKey, { alg: 'RS256', typ: 'at+jwt', kid })), /signature/);
  });

  it('ignores a public key embedded in the header (jwk) and a jku pointing elsewhere', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    expectRefused(await me(await sign(privateKey, { alg: 'RS256', typ: 'at+jwt', jwk })));
    expectRefused(
      await me(await sign(privateKey, { alg: 'RS256', typ: 'at+jwt', kid, jku: 'https://attacker.example/jwks.json' })),
    );
  });

  it('refuses a real token whose payload was altered after signing', async () => {
    const real = await sign(realKey, { alg: 'RS256', typ: 'at+jwt', kid });
    const [h, , s] = real.split('.');
    const tampered = `${h}.${b64({ ...claims, sub: 'adm_01ARZ3NDEKTSV4RRFFQ69G5FAV' })}.${s}`;
    expectRefused(await me(tampered), /signature/);
  });

  it('refuses an expired token minted by Gatehouse itself', async () => {
    const expired = await gh.app
      .get(AccessTokenService)
      .mint({ tier: 'admin', sub: admin.id, scopes: ['admin'], ttlS: -120 });
    expect(expired.claims.exp).toBeLessThan(Date.now() / 1000 - 60);
    expectRefused(await me(expired.token), /expired/);
  });

  it('refuses a token not yet valid (nbf in the future)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectRefused(
      await me(
        await sign(realKey, { alg: 'RS256', typ: 'at+jwt', kid }, { ...claims, nbf: now + 600, exp: now + 1200 }),
      ),
    );
  });

  it('refuses a real-key token with the wrong issuer', async () => {
    const token = await sign(realKey, { alg: 'RS256', typ: 'at+jwt', kid }, { ...claims, iss: 'https://evil.example' });
    expectRefused(await me(token), /iss/);
  });

  it('refuses a real-key token for another audience', async () => {
    const token = await sign(
      realKey,
      { alg: 'RS256', typ: 'at+jwt', kid },
      { ...claims, aud: 'https://api.other.example' },
    );
    expectRefused(await me(token), /aud/);
  });

  it('refuses a real-key token whose typ is not at+jwt (RFC 9068 §4)', async () => {
    expectRefused(await me(await sign(realKey, { alg: 'RS256', typ: 'JWT', kid })), /not an at\+jwt/);
    expectRefused(await me(await sign(realKey, { alg: 'RS256', kid })), /not an at\+jwt/);
  });

  it('refuses a real-key token without a jti or with an unknown tier', async () => {
    const { jti: _drop, ...noJti } = claims;
    expectRefused(await me(await sign(realKey, { alg: 'RS256', typ: 'at+jwt', kid }, noJti)));
    expectRefused(await me(await sign(realKey, { alg: 'RS256', typ: 'at+jwt', kid }, { ...claims, tier: 'root' })));
  });

  it('refuses garbage in place of a token', async () => {
    for (const junk of ['abc', 'a.b.c', `${b64({ alg: 'RS256' })}.${b64(claims)}`]) expectRefused(await me(junk));
  });

  it('asks for a token when Authorization is missing', async () => {
    const res = await gh.api('GET', '/v1/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
  });

  it('refuses a Basic Authorization header with a Bearer challenge', async () => {
    const basic = `Basic ${Buffer.from(`${admin.email}:${admin.password}`).toString('base64')}`;
    const res = await gh.api('GET', '/v1/me', { headers: { authorization: basic } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse"/);
    // A valid token behind the wrong scheme is still refused.
    const real = await sign(realKey, { alg: 'RS256', typ: 'at+jwt', kid });
    const wrongScheme = await gh.api('GET', '/v1/me', { headers: { authorization: `Token ${real}` } });
    expect(wrongScheme.status).toBe(401);
  });

  it('refuses an enrolment-only admin token on /v1/orgs with 403 insufficient_scope', async () => {
    const fresh = await cliCreateAdmin(gh, { platform: true });
    await gh.sql(`UPDATE administrators SET mfa_active = false WHERE id = $1`, [fresh.id]);
    const login = await gh.api('POST', '/v1/admin/login', { body: { email: fresh.email, password: fresh.password } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ mfa_enrollment_required: true, scope: 'mfa:enroll' });
    const enrol = login.body.access_token as string;

    // It is a valid token (it identifies its admin) ...
    const who = await me(enrol);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ id: fresh.id, scopes: ['mfa:enroll'] });
    // ... that buys nothing on the management API.
    const res = await gh.api('GET', '/v1/orgs', { token: enrol });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="admin"',
    );
    const create = await gh.api('POST', '/v1/orgs', { token: enrol, body: { name: 'enrol-org', display_name: 'No' } });
    expect(create.status).toBe(403);
    expect(await gh.sql(`SELECT id FROM organizations WHERE name = 'enrol-org'`)).toEqual([]);
  });
});
