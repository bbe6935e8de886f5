import { sign } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  CLOCK,
  GATEHOUSE_CONFIG,
  epochSeconds,
  newId,
  type Clock,
  type GatehouseConfig,
  type Tier,
} from '@gatehouse/core';
import { SigningKeyService } from '@gatehouse/keys';
import { ACCESS_TOKEN_TYP, type AccessTokenClaims } from './claims';

export interface MintInput {
  tier: Tier;
  sub: string;
  scopes: string[];
  ttlS: number;
  audience?: string;
  clientId?: string;
  org?: { id: string; name: string };
}

export interface MintedToken {
  token: string;
  jti: string;
  claims: AccessTokenClaims;
  expiresIn: number;
}

/**
 * Mints RS256 access tokens. Signing uses node:crypto over the cached KeyObject
 * (ARCHITECTURE.md §9: about 30 % faster than jose's SignJWT), so the hot path does no I/O.
 */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly keys: SigningKeyService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  mint(input: MintInput): MintedToken {
    if (input.tier === 'admin' && input.org) throw new Error('admin tokens never carry an org');
    const signer = this.keys.currentSigner();
    const now = epochSeconds(this.clock.now());
    const jti = newId('token');
    const claims: AccessTokenClaims = {
      iss: this.config.issuer,
      sub: input.sub,
      aud: input.audience ?? this.config.audience,
      exp: now + input.ttlS,
      iat: now,
      nbf: now,
      jti,
      scope: input.scopes.join(' '),
      tier: input.tier,
      ...(input.clientId ? { client_id: input.clientId } : {}),
      ...(input.org ? { org: input.org.name, org_id: input.org.id } : {}),
    };
    const header = { alg: 'RS256', typ: ACCESS_TOKEN_TYP, kid: signer.kid };
    const signingInput = `${b64(header)}.${b64(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput), signer.key).toString('base64url');
    return { token: `${signingInput}.${signature}`, jti, claims, expiresIn: input.ttlS };
  }
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
