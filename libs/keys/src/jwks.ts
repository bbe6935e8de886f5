import { createHash } from 'node:crypto';
import type { SigningKeyRecord } from './signing-key.repository';

export interface JwksDocument {
  body: string;
  /** Strong ETag over the body: it changes exactly when the published key set changes. */
  etag: string;
}

/** RFC 7517 key set of the given keys; only public members leave (kty, n, e, kid, alg, use). */
export function renderJwks(keys: Pick<SigningKeyRecord, 'kid' | 'publicJwk'>[]): JwksDocument {
  const body = JSON.stringify({
    keys: keys.map((k) => ({
      kty: k.publicJwk.kty,
      n: k.publicJwk.n,
      e: k.publicJwk.e,
      kid: k.kid,
      alg: 'RS256',
      use: 'sig',
    })),
  });
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}
