import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, Problems, type GatehouseConfig } from '@gatehouse/core';
import { SigningKeyService } from '@gatehouse/keys';
import { TokenChecker, VerifierError } from '@gatehouse/verifier';
import type { AccessTokenClaims } from './claims';
import { TokenRevocationService } from './token-revocation.service';

/** Seconds of clock difference tolerated on `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_S = 5;

/**
 * Verifies access tokens presented to Gatehouse itself, with the verifier's one check of the
 * access-token profile (@gatehouse/verifier `TokenChecker`: RS256 only, `typ: at+jwt`, the
 * claims of docs/design.md §3). The key is looked up by `kid` in our own key table only:
 * `alg`, `jku`, `x5u` and embedded keys in the header are never trusted (docs/design.md §8).
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly ours: TokenChecker;
  private readonly anyAudience: TokenChecker;

  constructor(
    private readonly keys: SigningKeyService,
    private readonly revocations: TokenRevocationService,
    @Inject(GATEHOUSE_CONFIG) config: GatehouseConfig,
  ) {
    const rules = { issuer: config.issuer, clockToleranceS: CLOCK_TOLERANCE_S };
    this.ours = new TokenChecker({ ...rules, audiences: new Set([config.audience]) });
    this.anyAudience = new TokenChecker({ ...rules, audiences: 'any' });
  }

  /**
   * Signature, claims and revocation state: every bearer route and introspection use it.
   * `anyAudience`: a token Gatehouse issued for any audience (a subject token of an exchange,
   * narrowed to a resource server) rather than only for Gatehouse itself.
   */
  async verify(token: string, opts: { anyAudience?: boolean } = {}): Promise<AccessTokenClaims> {
    const claims = await this.verifySignatureAndClaims(token, opts);
    if (await this.revocations.isRevoked(claims)) throw Problems.invalidToken('The token has been revoked.');
    return claims;
  }

  /** Without the revocation check: for revoking a token, which may already be revoked. */
  async verifySignatureAndClaims(token: string, opts: { anyAudience?: boolean } = {}): Promise<AccessTokenClaims> {
    const checker = opts.anyAudience ? this.anyAudience : this.ours;
    try {
      const parsed = checker.parse(token);
      const key = await this.keys.verificationKey(parsed.kid);
      if (!key) throw new VerifierError('key_unknown', 'The token is signed by an unknown key.');
      return checker.verify(parsed, key, Math.floor(Date.now() / 1000));
    } catch (err) {
      if (err instanceof VerifierError) throw Problems.invalidToken(err.message);
      throw err;
    }
  }
}
