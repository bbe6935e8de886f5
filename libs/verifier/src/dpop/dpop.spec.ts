import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { VerifierError } from '../errors';
import { toPrincipal } from '../principal';
import type { AccessTokenClaims } from '../claims';
import {
  DpopError,
  DpopNonces,
  DpopProofChecker,
  DpopProofError,
  MemoryReplayStore,
  accessTokenHash,
  createDpopVerifier,
  importPublicJwk,
  jwkThumbprint,
  normalizeHtu,
  verifyJws,
  type AsymmetricJwsAlg,
} from './index';

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

type Pair = { privateKey: KeyObject; publicKey: KeyObject; jwk: Record<string, unknown> };
function pair(alg: AsymmetricJwsAlg): Pair {
  const kp =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA' || alg === 'Ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...kp, jwk: kp.publicKey.export({ format: 'jwk' }) as Record<string, unknown> };
}

function signJws(alg: string, key: KeyObject, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const data = Buffer.from(input);
  const sig =
    alg === 'ES256'
      ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
      : alg === 'PS256'
        ? sign('sha256', data, { key, padding: 6, saltLength: 32 })
        : alg === 'EdDSA' || alg === 'Ed25519'
          ? sign(null, data, key)
          : sign('sha256', data, key);
  return `${input}.${sig.toString('base64url')}`;
}

const URL_ = 'https://api.example.test/things';

function proof(p: Pair, alg: AsymmetricJwsAlg, claims: Record<string, unknown> = {}, header: object = {}): string {
  return signJws(
    alg,
    p.privateKey,
    { typ: 'dpop+jwt', alg, jwk: p.jwk, ...header },
    { jti: randomUUID(), htm: 'GET', htu: URL_, iat: Math.floor(Date.now() / 1000), ...claims },
  );
}

const RULES = { method: 'GET', url: URL_, maxAgeS: 60, clockToleranceS: 5 };

describe('JWS over node:crypto (RS256, PS256, ES256, EdDSA)', () => {
  it.each(['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const)(
    'verifies %s and refuses a tampered payload',
    (alg) => {
      const p = pair(alg);
      const jws = signJws(alg, p.privateKey, { alg }, { a: 1 });
      const [h, pl, s] = jws.split('.');
      const key = importPublicJwk(p.jwk, alg);
      expect(verifyJws(alg, key, `${h}.${pl}`, s!)).toBe(true);
      expect(verifyJws(alg, key, `${h}.${b64({ a: 2 })}`, s!)).toBe(false);
    },
  );

  it('refuses a key of another type for the algorithm, and an RSA key for ES256', () => {
    const rsa = pair('RS256');
    expect(() => importPublicJwk(rsa.jwk, 'ES256')).toThrow('cannot verify ES256');
    expect(() => importPublicJwk({ ...pair('ES256').jwk, alg: 'RS256' })).toThrow('cannot sign');
    // RFC 9864: a key registered for EdDSA verifies the fully-specified Ed25519, and back.
    expect(() => importPublicJwk({ ...pair('EdDSA').jwk, alg: 'EdDSA' }, 'Ed25519')).not.toThrow();
    expect(() => importPublicJwk({ ...pair('EdDSA').jwk, alg: 'Ed25519' }, 'EdDSA')).not.toThrow();
    const ec = importPublicJwk(pair('ES256').jwk, 'ES256');
    expect(verifyJws('RS256', ec, 'a.b', 'c')).toBe(false);
  });

  it('refuses private and symmetric keys, small RSA keys and foreign uses', () => {
    const priv = pair('ES256').privateKey.export({ format: 'jwk' });
    expect(() => importPublicJwk(priv)).toThrow('private member "d"');
    expect(() => importPublicJwk({ kty: 'oct', k: 'c2VjcmV0' })).toThrow('private member "k"');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(() => importPublicJwk(small)).toThrow('2048 to 8192 bits');
    expect(() => importPublicJwk({ ...pair('EdDSA').jwk, use: 'enc' })).toThrow('"use"');
    expect(() => importPublicJwk({ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' })).toThrow('RSA, EC P-256 or OKP Ed25519');
  });
});

describe('jwkThumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});

describe('normalizeHtu (RFC 9449 §4.3 step 9)', () => {
  it('ignores query and fragment, case of scheme and host, and a default port', () => {
    expect(normalizeHtu('HTTPS://API.Example.TEST:443/things?x=1#f')).toBe(URL_);
    expect(normalizeHtu('https://api.example.test/things/')).not.toBe(URL_);
    expect(normalizeHtu('ftp://x/y')).toBeNull();
    expect(normalizeHtu('/relative')).toBeNull();
  });
});

describe('DpopProofChecker', () => {
  const checker = new DpopProofChecker();
  const es = pair('ES256');

  it.each(['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const)(
    'accepts a %s proof and names its thumbprint',
    (alg) => {
      const p = pair(alg);
      const out = new DpopProofChecker().check(proof(p, alg), RULES);
      expect(out.jkt).toBe(jwkThumbprint(p.jwk));
      expect(out.alg).toBe(alg);
    },
  );

  const refusals: [string, () => string, Partial<typeof RULES & { accessToken: string }>, string][] = [
    ['wrong typ', () => proof(es, 'ES256', {}, { typ: 'JWT' }), {}, 'typ'],
    ['alg none', () => `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: es.jwk })}.${b64({ jti: 'x' })}.`, {}, 'compact'],
    [
      'HS256 with the public key as secret',
      () => {
        const header = b64({ typ: 'dpop+jwt', alg: 'HS256', jwk: es.jwk });
        const body = b64({ jti: 'x', htm: 'GET', htu: URL_, iat: Date.now() / 1000 });
        const mac = createHmac('sha256', JSON.stringify(es.jwk)).update(`${header}.${body}`).digest('base64url');
        return `${header}.${body}.${mac}`;
      },
      {},
      'RS256, PS256, ES256 or EdDSA',
    ],
    [
      'a private jwk',
      () => proof(es, 'ES256', {}, { jwk: es.privateKey.export({ format: 'jwk' }) }),
      {},
      'private member',
    ],
    ['another key signed', () => proof(es, 'ES256', {}, { jwk: pair('ES256').jwk }), {}, 'signature'],
    ['wrong htm', () => proof(es, 'ES256', { htm: 'POST' }), {}, '"htm"'],
    ['wrong htu', () => proof(es, 'ES256', { htu: 'https://api.example.test/other' }), {}, '"htu"'],
    ['old iat', () => proof(es, 'ES256', { iat: Date.now() / 1000 - 120 }), {}, 'too old'],
    ['future iat', () => proof(es, 'ES256', { iat: Date.now() / 1000 + 60 }), {}, 'future'],
    ['no jti', () => proof(es, 'ES256', { jti: undefined }), {}, '"jti"'],
    ['missing ath', () => proof(es, 'ES256'), { accessToken: 'tok' }, '"ath"'],
    ['wrong ath', () => proof(es, 'ES256', { ath: accessTokenHash('other') }), { accessToken: 'tok' }, '"ath"'],
    ['two proofs', () => `${proof(es, 'ES256')}, ${proof(es, 'ES256')}`, {}, 'exactly one'],
  ];
  it.each(refusals)('refuses %s', (_name, make, extra, message) => {
    expect(() => checker.check(make(), { ...RULES, ...extra })).toThrow(DpopProofError);
    expect(() => checker.check(make(), { ...RULES, ...extra })).toThrow(message);
  });

  it('accepts a matching ath and an htu with a query string', () => {
    const out = checker.check(proof(es, 'ES256', { ath: accessTokenHash('tok'), htu: `${URL_}?page=2` }), {
      ...RULES,
      url: `${URL_}?page=3`,
      accessToken: 'tok',
    });
    expect(out.htu).toBe(URL_);
  });
});

describe('DpopNonces', () => {
  const secret = Buffer.alloc(32, 7);
  it('accepts its own nonce for two windows and refuses older ones and forgeries', () => {
    const n = new DpopNonces({ secret, windowS: 60 });
    const t = 1_800_000_000;
    const nonce = n.current(t);
    expect(n.check(nonce, t)).toBe(true);
    expect(n.check(nonce, t + 60)).toBe(true);
    expect(n.check(nonce, t + 180)).toBe(false);
    expect(new DpopNonces({ secret: Buffer.alloc(32, 8) }).check(nonce, t)).toBe(false);
    expect(n.check(`${nonce.slice(0, -2)}AA`, t)).toBe(false);
    expect(n.current(t + 60)).not.toBe(nonce);
  });
});

describe('MemoryReplayStore', () => {
  it('answers first use once until the entry expires, and stays within its bound', () => {
    const store = new MemoryReplayStore({ maxEntries: 3 });
    expect(store.claim('a', 10, 0)).toBe(true);
    expect(store.claim('a', 10, 5_000)).toBe(false);
    expect(store.claim('a', 10, 10_001)).toBe(true);
    for (const k of ['b', 'c', 'd', 'e']) store.claim(k, 10, 11_000);
    expect(store.size).toBeLessThanOrEqual(3);
  });
});

describe('DpopVerifier (resource server)', () => {
  const key = pair('ES256');
  const jkt = jwkThumbprint(key.jwk);
  const claims = (extra: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
    iss: 'https://id.test',
    sub: 'app_1',
    aud: 'https://api.example.test',
    exp: 2_000_000_000,
    iat: 1_700_000_000,
    nbf: 1_700_000_000,
    jti: 'jti_1',
    scope: 'a',
    tier: 'app',
    client_id: 'app_1',
    org: 'acme',
    org_id: 'org_1',
    ...extra,
  });
  const tokens = new Map<string, AccessTokenClaims>([
    ['bound', claims({ cnf: { jkt } })],
    ['plain', claims()],
  ]);
  const verifier = {
    verify: (t: string) => {
      const c = tokens.get(t);
      return c ? Promise.resolve(toPrincipal(c)) : Promise.reject(new VerifierError('token_expired', 'expired'));
    },
  };
  const dpop = createDpopVerifier({ verifier, maxAgeS: 60 });
  const req = (authorization: string, proofValue?: string, method = 'GET') => ({
    method,
    url: `${URL_}?q=1`,
    headers: { authorization, ...(proofValue ? { dpop: proofValue } : {}) },
  });
  const refused = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DpopError);
    return err as DpopError;
  };

  it('accepts a bound token with a proof of its key, and an unbound one as Bearer', async () => {
    const p = await dpop.verifyRequest(req('DPoP bound', proof(key, 'ES256', { ath: accessTokenHash('bound') })));
    expect(p.dpop).toEqual({ jkt });
    expect((await dpop.verifyRequest(req('Bearer plain'))).dpop).toBeUndefined();
  });

  it('refuses a bound token used as a bearer token, with both challenges', async () => {
    const err = await refused(dpop.verifyRequest(req('Bearer bound')));
    expect(err.status).toBe(401);
    expect(err.code).toBe('dpop_required');
    expect(err.responseHeaders()['WWW-Authenticate']).toMatch(
      /^DPoP error="invalid_token", error_description="[^"]+", algs="RS256 PS256 ES256 EdDSA Ed25519", Bearer$/,
    );
  });

  it('refuses a bound token without a proof, with another key, with a replayed proof, wrong htm or htu', async () => {
    const ath = accessTokenHash('bound');
    expect((await refused(dpop.verifyRequest(req('DPoP bound')))).bearerError).toBe('invalid_dpop_proof');
    const other = pair('ES256');
    expect((await refused(dpop.verifyRequest(req('DPoP bound', proof(other, 'ES256', { ath }))))).code).toBe(
      'dpop_key_mismatch',
    );
    const once = proof(key, 'ES256', { ath });
    await dpop.verifyRequest(req('DPoP bound', once));
    expect((await refused(dpop.verifyRequest(req('DPoP bound', once)))).code).toBe('dpop_replayed');
    expect((await refused(dpop.verifyRequest(req('DPoP bound', proof(key, 'ES256', { ath }), 'POST')))).code).toBe(
      'dpop_proof_invalid',
    );
    const wrongHtu = proof(key, 'ES256', { ath, htu: 'https://api.example.test/elsewhere' });
    expect((await refused(dpop.verifyRequest(req('DPoP bound', wrongHtu)))).description).toMatch(/htu/);
    // An unbound token sent with the DPoP scheme is refused too (it proves nothing).
    expect((await refused(dpop.verifyRequest(req('DPoP plain', proof(key, 'ES256'))))).code).toBe('invalid_request');
  });

  it('answers a token failure of a DPoP request with the DPoP challenge', async () => {
    const err = await refused(dpop.verifyRequest(req('DPoP unknown', proof(key, 'ES256'))));
    expect(err.code).toBe('token_expired');
    expect(err.wwwAuthenticate()).toMatch(/^DPoP error="invalid_token"/);
  });

  it('demands a current server nonce and sends one with the refusal', async () => {
    const nonces = new DpopNonces({ secret: Buffer.alloc(32, 1) });
    const strict = createDpopVerifier({ verifier, nonces, requireNonce: true, requireDpop: true });
    const ath = accessTokenHash('bound');
    const err = await refused(strict.verifyRequest(req('DPoP bound', proof(key, 'ES256', { ath }))));
    expect(err.bearerError).toBe('use_dpop_nonce');
    const nonce = err.responseHeaders()['DPoP-Nonce']!;
    expect(nonce).toBe(nonces.current());
    expect(err.wwwAuthenticate()).not.toMatch(/Bearer/);
    await expect(strict.verifyRequest(req('DPoP bound', proof(key, 'ES256', { ath, nonce })))).resolves.toMatchObject({
      dpop: { jkt },
    });
    expect((await refused(strict.verifyRequest(req('Bearer plain')))).code).toBe('dpop_required');
  });
});
