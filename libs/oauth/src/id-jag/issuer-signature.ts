import { Injectable } from '@nestjs/common';
import { verifyJws, type AsymmetricJwsAlg, type CompactJws } from '@gatehouse/verifier';
import { ClientKeySource, ClientKeysUnavailable } from '../clients/client-key-source';
import type { TrustedIssuerRecord } from './id-jag-store';
import { IdJagRefused } from './id-jag-rules';

/**
 * Verifies an ID-JAG's signature with its trusted issuer's keys: inline, or its `jwks_uri`
 * through the guarded fetcher and its cache (the same source and rules as clients' keys,
 * docs/client-authentication.md#the-guarded-fetcher). `kid` picks the key; keys without one
 * stay candidates; a signature no cached remote key verifies refetches the set once, within
 * the refresh cooldown (a rotation at the identity provider).
 */
@Injectable()
export class IssuerSignature {
  constructor(private readonly keys: ClientKeySource) {}

  async verify(issuer: TrustedIssuerRecord, jws: CompactJws, alg: AsymmetricJwsAlg): Promise<void> {
    const kid = typeof jws.header.kid === 'string' ? jws.header.kid : undefined;
    if (await this.signedBy(issuer, jws, alg, kid, false)) return;
    if (issuer.jwksUri && (await this.signedBy(issuer, jws, alg, kid, true))) return;
    throw new IdJagRefused("not signed by one of the trusted issuer's keys");
  }

  private async signedBy(
    issuer: TrustedIssuerRecord,
    jws: CompactJws,
    alg: AsymmetricJwsAlg,
    kid: string | undefined,
    refetch: boolean,
  ): Promise<boolean> {
    let keys;
    try {
      keys = await this.keys.keys(issuer, refetch);
    } catch (err) {
      if (err instanceof ClientKeysUnavailable) throw new IdJagRefused(`issuer keys unavailable: ${err.message}`);
      throw err;
    }
    const fitting = keys.filter((k) => k.algs.includes(alg));
    const named = kid === undefined ? fitting : fitting.filter((k) => k.kid === kid);
    const candidates = named.length > 0 || kid === undefined ? named : fitting.filter((k) => k.kid === undefined);
    return candidates.some((k) => verifyJws(alg, k.key, jws.signingInput, jws.signature));
  }
}
