import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, Problems, type GatehouseConfig, type ProblemError } from '@gatehouse/core';
import { SigningKeyService } from '@gatehouse/keys';
import { errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { ACCESS_TOKEN_TYP, type AccessTokenClaims } from './claims';
import { TokenRevocationService } from './token-revocation.service';

const TIERS = new Set(['admin', 'app', 'user']);

/**
 * Verifies access tokens presented to Gatehouse itself. The algorithm is fixed (RS256) and
 * the key is looked up by `kid` in our own key table only: `alg`, `jku`, `x5u` and embedded
 * keys in the header are never trusted (docs/design.md §8).
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly keys: SigningKeyService,
    private readonly revocations: TokenRevocationService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

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
    if (token.length > 8192 || token.split('.').length !== 3) throw Problems.invalidToken('The token is malformed.');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms: ['RS256'],
        typ: ACCESS_TOKEN_TYP,
        issuer: this.config.issuer,
        audience: opts.anyAudience ? undefined : this.config.audience,
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        clockTolerance: 5,
      }));
    } catch (err) {
      throw describe(err);
    }
    const claims = payload as AccessTokenClaims;
    if (typeof claims.tier !== 'string' || !TIERS.has(claims.tier))
      throw Problems.invalidToken('The token has no valid tier.');
    if (typeof claims.scope !== 'string') throw Problems.invalidToken('The token has no scope.');
    if (claims.tier === 'admin' && (claims.org !== undefined || claims.org_id !== undefined)) {
      throw Problems.invalidToken('An admin token must not carry an org.');
    }
    if (claims.tier !== 'admin' && (typeof claims.org_id !== 'string' || typeof claims.client_id !== 'string')) {
      throw Problems.invalidToken('The token lacks its org or client.');
    }
    return claims;
  }

  private async keyFor(header: JWTHeaderParameters) {
    if (header.alg !== 'RS256') throw new errors.JOSEAlgNotAllowed('alg not allowed');
    if (typeof header.kid !== 'string' || header.kid.length > 64) throw new errors.JWKSNoMatchingKey();
    const key = await this.keys.verificationKey(header.kid);
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  }
}

function describe(err: unknown): ProblemError {
  if (err instanceof errors.JWTExpired) return Problems.invalidToken('The token has expired.');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return Problems.invalidToken(`The token's "${err.claim}" claim is not acceptable.`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return Problems.invalidToken('The token is not signed with RS256.');
  if (err instanceof errors.JWKSNoMatchingKey) return Problems.invalidToken('The token is signed by an unknown key.');
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return Problems.invalidToken('The token signature is invalid.');
  return Problems.invalidToken('The token could not be verified.', (err as Error)?.message);
}
