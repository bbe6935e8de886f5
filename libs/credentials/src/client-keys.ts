import type { KeyObject } from 'node:crypto';
import {
  JwkError,
  PRIVATE_JWK_MEMBERS,
  algsForJwk,
  importPublicJwk,
  sameJwsAlg,
  type AsymmetricJwsAlg,
} from '@gatehouse/verifier';

/** An inline JWK Set is stored with the app and read on every cache miss: kept small. */
export const MAX_INLINE_JWKS_BYTES = 16 * 1024;
/** A fetched set may be a provider's whole published set. */
export const MAX_REMOTE_JWKS_BYTES = 64 * 1024;
export const MAX_CLIENT_KEYS = 10;
const MAX_REMOTE_KEYS = 50;

/** One public key of a client, imported once, with what it may verify. */
export interface ClientKey {
  kid?: string;
  /** The algorithms this key verifies: its own `alg` when it names one, else its key type's. */
  algs: readonly AsymmetricJwsAlg[];
  key: KeyObject;
}

export interface JwksIssue {
  path: string;
  message: string;
}

/**
 * Registration rules for an app's inline `jwks` (docs/client-authentication.md#registering-keys): a JSON
 * object with a `keys` array of 1–10 keys, at most 16 KB; every key public (no `d`, `p`,
 * `q`, `dp`, `dq`, `qi`, `oth`, `k`), RSA (2048–8192 bits), EC P-256 or OKP Ed25519, with
 * an `alg`, if any, of RS256/PS256, ES256 or EdDSA (Ed25519) matching its type, `use` `sig` if
 * any, and `kid`s distinct. Empty when the set is acceptable.
 */
export function checkClientJwks(jwks: unknown, path = 'jwks'): JwksIssue[] {
  if (jwks === null || typeof jwks !== 'object' || Array.isArray(jwks)) {
    return [{ path, message: 'must be a JWK Set: {"keys": [...]}' }];
  }
  if (Buffer.byteLength(JSON.stringify(jwks)) > MAX_INLINE_JWKS_BYTES) {
    return [{ path, message: `must be at most ${MAX_INLINE_JWKS_BYTES} bytes` }];
  }
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_CLIENT_KEYS) {
    return [{ path: `${path}.keys`, message: `must be an array of 1 to ${MAX_CLIENT_KEYS} keys` }];
  }
  const issues: JwksIssue[] = [];
  const kids = new Set<string>();
  keys.forEach((jwk: unknown, i) => {
    const at = `${path}.keys.${i}`;
    try {
      importPublicJwk(jwk);
    } catch (err) {
      issues.push({ path: at, message: err instanceof JwkError ? err.message : 'is not a valid public key' });
      return;
    }
    const kid = (jwk as { kid?: unknown }).kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 128)) {
      issues.push({ path: `${at}.kid`, message: 'must be a string of 1 to 128 characters' });
    } else if (typeof kid === 'string') {
      if (kids.has(kid)) issues.push({ path: `${at}.kid`, message: 'must be unique in the set' });
      kids.add(kid);
    }
  });
  return issues;
}

/**
 * The verification keys of a JWK Set. `inline`: registered and validated already, so every
 * key must import. `remote`: a set fetched from a `jwks_uri`, which may publish keys for
 * other uses (encryption, other curves): those are skipped; but a private key anywhere in
 * it refuses the whole set, since its owner has published a secret.
 */
export function importClientJwks(jwks: unknown, source: 'inline' | 'remote'): ClientKey[] {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new JwkError('is not a JWK Set');
  if (keys.length > (source === 'inline' ? MAX_CLIENT_KEYS : MAX_REMOTE_KEYS)) throw new JwkError('has too many keys');
  const out: ClientKey[] = [];
  for (const jwk of keys as Record<string, unknown>[]) {
    if (jwk && typeof jwk === 'object' && PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) {
      throw new JwkError('holds a private key');
    }
    try {
      const key = importPublicJwk(jwk);
      const family = algsForJwk(jwk);
      out.push({
        ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}),
        algs: typeof jwk.alg === 'string' ? family.filter((a) => sameJwsAlg(a, jwk.alg)) : family,
        key,
      });
    } catch (err) {
      if (source === 'inline') throw err;
    }
  }
  return out;
}
