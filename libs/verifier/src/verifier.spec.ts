import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VerifierError, createVerifier, requireOrg, requireScopes, requireTier, type Verifier } from './index';

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A stand-in Gatehouse: discovery, a JWKS with a max-age, a revocation feed; counts fetches. */
class FakeIssuer {
  server!: Server;
  url = '';
  keys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
  jwksFetches = 0;
  maxAge = 300;
  feed = { revoked_tokens: [] as object[], principal_revocations: [] as object[] };
  feedAuth: string[] = [];
  /** Answer 503 to everything, counting the requests. */
  down = false;
  requestsWhileDown = 0;

  async start() {
    this.server = createServer((req, res) => {
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      if (this.down) {
        this.requestsWhileDown++;
        return json(503, {});
      }
      if (req.url === '/.well-known/oauth-authorization-server') {
        return json(200, { issuer: this.url, jwks_uri: `${this.url}/jwks`, token_endpoint: `${this.url}/token` });
      }
      if (req.url === '/jwks') {
        this.jwksFetches++;
        const keys = [...this.keys].map(([kid, k]) => ({ ...k.publicKey.export({ format: 'jwk' }), kid, use: 'sig' }));
        return json(200, { keys }, { 'cache-control': `public, max-age=${this.maxAge}` });
      }
      if (req.url?.startsWith('/v1/revocations')) {
        this.feedAuth.push(String(req.headers.authorization));
        return json(200, { ...this.feed, next_cursor: '1', has_more: false });
      }
      json(404, {});
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }

  token(kid: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    const body = {
      iss: this.url,
      sub: 'app_1',
      aud: 'https://api.test',
      exp: now + 600,
      iat: now,
      nbf: now,
      jti: `jti_${Math.random()}`,
      scope: 'invoices:read invoices:write',
      tier: 'app',
      client_id: 'app_1',
      org: 'acme',
      org_id: 'org_1',
      ...claims,
    };
    const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid, ...header })}.${b64(body)}`;
    const key = this.keys.get(kid)?.privateKey ?? pair().privateKey;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  }
}

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VerifierError);
  return err as VerifierError;
};

describe('createVerifier', () => {
  let gh: FakeIssuer;
  let v: Verifier;

  beforeEach(async () => {
    gh = new FakeIssuer();
    gh.keys.set('k1', pair());
    await gh.start();
    v = createVerifier({ issuer: gh.url, audience: 'https://api.test', unknownKidCooldownS: 30 });
  });
  afterEach(async () => {
    v.close();
    await gh.stop();
  });

  it('verifies a token through discovery and returns the typed principal', async () => {
    const p = await v.verify(gh.token('k1', { act: { sub: 'usr_2', act: { sub: 'app_3' } }, step: 'stp_1' }));
    expect(p).toMatchObject({
      tier: 'app',
      sub: 'app_1',
      org: 'acme',
      org_id: 'org_1',
      client_id: 'app_1',
      scopes: ['invoices:read', 'invoices:write'],
      aud: ['https://api.test'],
      actors: ['usr_2', 'app_3'],
      step: 'stp_1',
    });
    expect(v.health()).toMatchObject({
      status: 'ok',
      jwks: { kids: ['k1'], stale: false },
      revocations: { mode: 'off' },
    });
  });

  it.each([
    [
      'alg none',
      (t: string) => `${b64({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${t.split('.')[1]}.`,
      'token_malformed',
    ],
    [
      'alg none with a signature',
      (t: string) => `${b64({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${t.split('.')[1]}.AA`,
      'alg_not_allowed',
    ],
    [
      'a JWT typ',
      (t: string) => `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${t.split('.').slice(1).join('.')}`,
      'typ_invalid',
    ],
    [
      'a crit header',
      (t: string) =>
        `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k1', crit: ['x'] })}.${t.split('.').slice(1).join('.')}`,
      'token_malformed',
    ],
    [
      'a tampered payload',
      (t: string) => {
        const [h, , s] = t.split('.');
        return `${h}.${b64({ sub: 'adm_x' })}.${s}`;
      },
      'signature_invalid',
    ],
    ['garbage', () => 'not-a-token', 'token_malformed'],
    ['a foreign character in the signature', (t: string) => `${t.slice(0, -2)}!${t.slice(-2)}`, 'token_malformed'],
    ['four dots', (t: string) => `${t}.x`, 'token_malformed'],
  ])('refuses %s', async (_name, forge, code) => {
    const err = await refusal(v.verify(forge(gh.token('k1'))));
    expect(err.code).toBe(code);
    expect(err.status).toBe(401);
  });

  it('refuses HS256 signed with the public key as the secret (key confusion)', async () => {
    await v.ready();
    const pem = gh.keys.get('k1')!.publicKey.export({ format: 'pem', type: 'spki' });
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${gh.token('k1').split('.')[1]}`;
    const forged = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    const err = await refusal(v.verify(forged));
    expect(err.code).toBe('alg_not_allowed');
    expect(err.wwwAuthenticate('api')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token is not signed with RS256."',
    );
  });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 10 }, 'token_expired'],
    ['not yet valid', { nbf: Math.floor(Date.now() / 1000) + 60 }, 'token_not_yet_valid'],
    ['another audience', { aud: ['https://other.test'] }, 'audience_invalid'],
    ['another issuer', { iss: 'https://evil.test' }, 'issuer_invalid'],
    ['an unknown tier', { tier: 'root' }, 'claims_invalid'],
    ['an admin token with an org', { tier: 'admin' }, 'claims_invalid'],
    ['an app token without org_id', { org_id: undefined }, 'claims_invalid'],
  ])('refuses a token %s', async (_name, claims, code) => {
    expect((await refusal(v.verify(gh.token('k1', claims)))).code).toBe(code);
  });

  it('allows the clock skew on exp', async () => {
    await expect(v.verify(gh.token('k1', { exp: Math.floor(Date.now() / 1000) - 2 }))).resolves.toBeTruthy();
  });

  it('caches the JWKS for its max-age, refetches for an unknown kid at most once per cooldown', async () => {
    const cv = createVerifier({ issuer: gh.url, audience: 'https://api.test', unknownKidCooldownS: 0.3 });
    const pause = () => new Promise((r) => setTimeout(r, 350));
    await cv.verify(gh.token('k1'));
    await cv.verify(gh.token('k1'));
    expect(gh.jwksFetches).toBe(1);
    const madeUp = Array.from({ length: 5 }, (_, i) => gh.token(`made-up-${i}`)); // RSA keygen is slow: before the clock starts
    gh.keys.set('k2', pair());
    await pause();
    await expect(cv.verify(gh.token('k2'))).resolves.toBeTruthy(); // a new key: one refetch
    expect(gh.jwksFetches).toBe(2);
    for (const t of madeUp) expect((await refusal(cv.verify(t))).code).toBe('key_unknown');
    expect(gh.jwksFetches).toBe(2); // a flood of made-up kids inside the cooldown fetches nothing
    const again = gh.token('made-up-again');
    await pause();
    expect((await refusal(cv.verify(again))).code).toBe('key_unknown');
    expect(gh.jwksFetches).toBe(3);
  });

  it('keeps verifying with cached keys while the issuer is down, and says the keys are stale', async () => {
    gh.maxAge = 0; // floored to 10 s
    await v.verify(gh.token('k1'));
    const token = gh.token('k1');
    await gh.stop();
    await expect(v.verify(token)).resolves.toBeTruthy();
    expect(v.health().jwks.kids).toEqual(['k1']);
  });

  it('answers 503 verifier_unavailable when the keys were never loaded, without a fetch per request', async () => {
    const token = gh.token('k1');
    gh.down = true;
    const err = await refusal(v.verify(token));
    expect(err.code).toBe('verifier_unavailable');
    expect(err.status).toBe(503);
    expect(err.responseHeaders()).toEqual({ 'Retry-After': '5' });
    expect(v.health().status).toBe('unavailable');
    for (let i = 0; i < 20; i++) expect((await refusal(v.verify(token))).code).toBe('verifier_unavailable');
    expect(gh.requestsWhileDown).toBe(1);
    gh.down = false;
  });

  it('refuses revoked jtis and tokens issued up to a valid-after mark, from the feed', async () => {
    const now = Date.now();
    const revoked = gh.token('k1', { jti: 'jti_dead' });
    const marked = gh.token('k1', { sub: 'usr_9', tier: 'user', iat: Math.floor(now / 1000) - 5 });
    const after = gh.token('k1', { sub: 'usr_9', tier: 'user', iat: Math.floor(now / 1000) + 1 });
    gh.feed.revoked_tokens.push({ jti: 'jti_dead', expires_at: new Date(now + 60_000).toISOString() });
    gh.feed.principal_revocations.push({ subject_id: 'usr_9', valid_after: new Date(now).toISOString() });
    const modes: string[] = [];
    const fv = createVerifier({
      issuer: gh.url,
      audience: 'https://api.test',
      revocations: { credentials: { token: () => 'feed-token' } },
      onRevocationModeChange: (mode) => modes.push(mode),
    });
    await fv.ready();
    expect((await refusal(fv.verify(revoked))).code).toBe('token_revoked');
    expect((await refusal(fv.verify(marked))).code).toBe('token_revoked');
    await expect(fv.verify(after)).resolves.toBeTruthy();
    expect(gh.feedAuth).toEqual(['Bearer feed-token']);
    expect(fv.health()).toMatchObject({
      status: 'ok',
      revocations: { mode: 'feed', revoked_tokens: 1, principal_marks: 1 },
    });
    await gh.stop();
    await (fv as unknown as { feed: { poll(): Promise<void> } }).feed.poll();
    expect(fv.health()).toMatchObject({ status: 'degraded', revocations: { mode: 'expiry-only' } });
    expect((await refusal(fv.verify(revoked))).code).toBe('token_revoked'); // what it knew stays known
    await (fv as unknown as { feed: { poll(): Promise<void> } }).feed.poll();
    expect(modes).toEqual(['feed', 'expiry-only']); // each change told once
    fv.close();
  });

  it('parses the Authorization header strictly (RFC 6750 §2.1)', async () => {
    expect((await refusal(v.verifyRequest(undefined))).wwwAuthenticate()).toBe('Bearer');
    const bad = await refusal(v.verifyRequest('Basic abc'));
    expect(bad).toMatchObject({ code: 'invalid_request', status: 400 });
    await expect(v.verifyRequest(`Bearer ${gh.token('k1')}`)).resolves.toBeTruthy();
  });

  it('refuses a DPoP-bound token presented as a bearer token (RFC 9449 §7.1)', async () => {
    const bound = gh.token('k1', { cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' } });
    await expect(v.verify(bound)).resolves.toBeTruthy();
    const err = await refusal(v.verifyRequest(`Bearer ${bound}`));
    expect(err).toMatchObject({ code: 'dpop_required', status: 401, bearerError: 'invalid_token' });
  });

  it('checks tier, scopes and org with 403 insufficient_scope', async () => {
    const p = await v.verify(gh.token('k1'));
    expect(() => requireTier(p, 'app')).not.toThrow();
    expect(() => requireTier(p, 'user')).toThrow(expect.objectContaining({ code: 'tier_not_allowed', status: 403 }));
    expect(() => requireOrg(p, 'org_1')).not.toThrow();
    expect(() => requireOrg(p, 'acme')).not.toThrow();
    expect(() => requireOrg(p, 'org_2')).toThrow(expect.objectContaining({ code: 'org_mismatch' }));
    try {
      requireScopes(p, 'invoices:read', 'invoices:delete');
      throw new Error('no refusal');
    } catch (err) {
      expect((err as VerifierError).wwwAuthenticate()).toBe(
        'Bearer error="insufficient_scope", error_description="This resource requires the scope invoices:delete.", scope="invoices:read invoices:delete"',
      );
    }
  });
});
