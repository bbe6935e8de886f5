import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/** Test helpers for signed JWTs over node:crypto: key pairs with their JWKs, compact JWS, assertions. */
export interface TestKey {
  alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
}

export function testKey(alg: TestKey['alg'], kid?: string): TestKey {
  const kp =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const extra = kid ? { kid } : {};
  return {
    alg,
    privateKey: kp.privateKey,
    publicJwk: { ...(kp.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), ...extra },
    privateJwk: { ...(kp.privateKey.export({ format: 'jwk' }) as Record<string, unknown>), ...extra },
  };
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A compact JWS; `alg` in the header may differ from the key's (for forgeries). */
export function signJwt(key: TestKey, payload: object, header: object = {}): string {
  const input = `${b64({ alg: key.alg, ...(key.publicJwk.kid ? { kid: key.publicJwk.kid } : {}), ...header })}.${b64(payload)}`;
  const data = Buffer.from(input);
  const sig =
    key.alg === 'ES256'
      ? sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : key.alg === 'PS256'
        ? sign('sha256', data, { key: key.privateKey, padding: 6, saltLength: 32 })
        : key.alg === 'EdDSA'
          ? sign(null, data, key.privateKey)
          : sign('sha256', data, key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

/** An HS256 JWS keyed with `secret`: the algorithm-confusion forgery. */
export function hmacJwt(secret: string, payload: object, header: object = {}): string {
  const input = `${b64({ alg: 'HS256', ...header })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An unsigned JWS (`alg: none`). */
export function unsignedJwt(payload: object, header: object = {}): string {
  return `${b64({ alg: 'none', ...header })}.${b64(payload)}.`;
}

/** RFC 7523 §3 claims of a client assertion for `clientId`, valid for a minute; override any. */
export function assertionClaims(clientId: string, aud: string | string[], extra: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: clientId, sub: clientId, aud, jti: randomUUID(), iat: now, exp: now + 60, ...extra };
}
