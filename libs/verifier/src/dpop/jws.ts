import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * The asymmetric JWS algorithms Gatehouse accepts from clients: in DPoP proofs and in
 * `private_key_jwt` client assertions. Never `none`, never an HMAC (a public key used as an
 * HMAC secret is the classic algorithm-confusion forgery). `Ed25519` is RFC 9864's
 * fully-specified name for EdDSA over Ed25519 (the only EdDSA curve accepted), which
 * current clients (oauth4webapi, openid-client) sign with: the same algorithm, both names.
 */
export const ASYMMETRIC_JWS_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;
export type AsymmetricJwsAlg = (typeof ASYMMETRIC_JWS_ALGS)[number];

/** RFC 7517 §4 and RFC 7518 §6: members that only a private or symmetric key has. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

/** Why a JWK cannot be used; the message is safe to show (it names no key material). */
export class JwkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwkError';
  }
}

/**
 * Whether `alg` is one of {@link ASYMMETRIC_JWS_ALGS}.
 *
 * @example
 * ```ts
 * isAsymmetricJwsAlg('ES256'); // true
 * isAsymmetricJwsAlg('HS256'); // false
 * ```
 */
export function isAsymmetricJwsAlg(alg: unknown): alg is AsymmetricJwsAlg {
  return typeof alg === 'string' && (ASYMMETRIC_JWS_ALGS as readonly string[]).includes(alg);
}

/**
 * The algorithms a key of this shape signs with (RSA: RS256 and PS256; Ed25519: both names).
 *
 * @example
 * ```ts
 * algsForJwk({ kty: 'EC', crv: 'P-256', x: '…', y: '…' }); // ['ES256']
 * ```
 */
export function algsForJwk(jwk: Record<string, unknown>): readonly AsymmetricJwsAlg[] {
  if (jwk.kty === 'RSA') return ['RS256', 'PS256'];
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return ['ES256'];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  return [];
}

/**
 * Whether two `alg` values name the same algorithm (RFC 9864: `Ed25519` is EdDSA over Ed25519).
 *
 * @example
 * ```ts
 * sameJwsAlg('EdDSA', 'Ed25519'); // true
 * ```
 */
export function sameJwsAlg(a: unknown, b: unknown): boolean {
  const norm = (x: unknown) => (x === 'Ed25519' ? 'EdDSA' : x);
  return norm(a) === norm(b);
}

/**
 * Imports a public JWK for signature verification, refusing what must never verify:
 * private or symmetric keys, a `kty`/`crv` outside RSA (2048–8192 bits), P-256 and Ed25519,
 * a `use` other than `sig`, `key_ops` without `verify`, and — when `alg` is given — a key
 * whose type or own `alg` does not match it (RFC 8725 §3.1: the key decides the algorithm).
 *
 * @example
 * ```ts
 * const key = importPublicJwk({ kty: 'EC', crv: 'P-256', x: '…', y: '…' }, 'ES256');
 * ```
 */
export function importPublicJwk(jwk: unknown, alg?: string): KeyObject {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw new JwkError('is not a JSON object');
  const k = jwk as Record<string, unknown>;
  const secret = PRIVATE_JWK_MEMBERS.find((m) => m in k);
  if (secret) throw new JwkError(`must be a public key (it has the private member "${secret}")`);
  const family = algsForJwk(k);
  if (family.length === 0) throw new JwkError('must be an RSA, EC P-256 or OKP Ed25519 key');
  if (k.alg !== undefined && !(family as readonly unknown[]).includes(k.alg)) {
    throw new JwkError(`has "alg" ${String(k.alg)}, which its key type cannot sign with`);
  }
  if (
    alg !== undefined &&
    (!(family as readonly string[]).includes(alg) || (k.alg !== undefined && !sameJwsAlg(k.alg, alg)))
  ) {
    throw new JwkError(`cannot verify ${alg}`);
  }
  if (k.use !== undefined && k.use !== 'sig') throw new JwkError('has a "use" other than "sig"');
  if (k.key_ops !== undefined && (!Array.isArray(k.key_ops) || !k.key_ops.includes('verify'))) {
    throw new JwkError('has "key_ops" without "verify"');
  }
  const fields: Record<string, unknown> =
    k.kty === 'RSA' ? { kty: 'RSA', n: k.n, e: k.e } : { kty: k.kty, crv: k.crv, x: k.x, ...(k.y ? { y: k.y } : {}) };
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || value.length === 0 || !/^[A-Za-z0-9_-]+$/.test(value)) {
      throw new JwkError(`has no valid "${name}"`);
    }
  }
  if (k.kty === 'EC' && typeof k.y !== 'string') throw new JwkError('has no valid "y"');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: fields as never, format: 'jwk' });
  } catch {
    throw new JwkError('is not a valid public key');
  }
  if (k.kty === 'RSA') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw new JwkError(`must have 2048 to 8192 bits (it has ${bits})`);
  }
  return key;
}

/**
 * Verifies a JWS signature (RFC 7515 §5.2) over `signingInput` with `key` under `alg`, over
 * node:crypto. ES256 signatures are the raw 64-byte R‖S (RFC 7518 §3.4), not DER. The
 * signature segment must decode to exactly its length's worth of bytes, so one token is
 * one string.
 *
 * @example
 * ```ts
 * const [h, p, s] = jws.split('.');
 * const ok = verifyJws('ES256', importPublicJwk(jwk, 'ES256'), `${h}.${p}`, s);
 * ```
 */
export function verifyJws(alg: AsymmetricJwsAlg, key: KeyObject, signingInput: string, signature: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(signature)) return false;
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== Math.floor((signature.length * 3) / 4)) return false;
  const data = Buffer.from(signingInput);
  try {
    switch (alg) {
      case 'RS256':
        return key.asymmetricKeyType === 'rsa' && verify('sha256', data, key, sig);
      case 'PS256':
        return (
          key.asymmetricKeyType === 'rsa' &&
          verify(
            'sha256',
            data,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
            sig,
          )
        );
      case 'ES256':
        return (
          key.asymmetricKeyType === 'ec' &&
          sig.length === 64 &&
          verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
        );
      case 'EdDSA':
      case 'Ed25519':
        return key.asymmetricKeyType === 'ed25519' && verify(null, data, key, sig);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** A compact JWS split into its parts, header and payload decoded; null when it is not one. */
export interface CompactJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: string;
}

/**
 * Splits a compact JWS and decodes its header and payload, without verifying anything.
 *
 * @example
 * ```ts
 * const jws = splitCompactJws(token, 8192);
 * if (jws && jws.header.alg === 'ES256') verifyJws('ES256', key, jws.signingInput, jws.signature);
 * ```
 */
export function splitCompactJws(token: unknown, maxLength: number): CompactJws | null {
  if (typeof token !== 'string' || token.length > maxLength) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return null;
  const header = decodeJsonSegment(parts[0]!);
  const payload = decodeJsonSegment(parts[1]!);
  if (!header || !payload) return null;
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: parts[2]! };
}

function decodeJsonSegment(segment: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
