import { Injectable } from '@nestjs/common';
import { InvalidRequest, ProblemError } from '@gatehouse/core';
import { AccessTokenVerifier, PrincipalResolver, type AccessTokenClaims } from '@gatehouse/tokens';
import { decodeProtectedHeader } from 'jose';

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface VerifiedToken {
  claims: AccessTokenClaims;
  kid: string;
}

/**
 * The subject and actor tokens of an exchange (RFC 8693 §2.1): Gatehouse access tokens,
 * verified like any bearer token — signature by one of our keys, claims, revocation (its
 * own jti, its parent's, its principal's marks), a live principal. Anything else is
 * `invalid_request` (§2.2.2), saying which parameter failed, never why in detail.
 */
@Injectable()
export class ExchangeTokens {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly principals: PrincipalResolver,
  ) {}

  async verify(token: string, parameter: 'subject_token' | 'actor_token'): Promise<VerifiedToken> {
    try {
      // A subject may have been narrowed to a resource server's audience (RFC 8707).
      const claims = await this.verifier.verify(token, { anyAudience: true });
      await this.principals.resolve(claims);
      return { claims, kid: decodeProtectedHeader(token).kid as string };
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) {
        throw new InvalidRequest(`The ${parameter} is invalid, expired or revoked.`, { detail: err.detail });
      }
      throw err;
    }
  }
}
