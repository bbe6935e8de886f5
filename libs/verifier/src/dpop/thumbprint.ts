import { createHash } from 'node:crypto';

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const REQUIRED: Record<string, readonly string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The RFC 7638 JWK SHA-256 thumbprint, base64url: what a DPoP-bound token names in
 * `cnf.jkt` (RFC 9449 §6.1). Only the required members count, so `kid`, `alg` or `use`
 * never change it.
 *
 * @example
 * ```ts
 * const jkt = jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '…', y: '…' });
 * ```
 */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members = REQUIRED[String(jwk.kty)];
  if (!members) throw new TypeError('jwkThumbprint: unsupported kty');
  // JSON.stringify of an object built in this order is the canonical form: no whitespace,
  // members sorted, every value a string.
  const canonical: Record<string, string> = {};
  for (const m of members) {
    if (typeof jwk[m] !== 'string') throw new TypeError(`jwkThumbprint: "${m}" is missing`);
    canonical[m] = jwk[m] as string;
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}
