import { createHash, sign, type KeyObject } from 'node:crypto';
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
import type { ActClaim } from '@gatehouse/verifier';

export interface MintInput {
  tier: Tier;
  sub: string;
  scopes: string[];
  ttlS: number;
  audience?: string;
  clientId?: string;
  org?: { id: string; name: string };
  /** RFC 8693 delegation claims; `exp` is capped at `notAfter`. */
  delegation?: { act: ActClaim; step?: string; parentJti: string; notAfter: number };
  /** RFC 8693 §4.4: the clients that may exchange this token. */
  mayAct?: readonly string[];
  /** RFC 9068 §2.2.1 `auth_time`: the sign-in this token descends from (epoch seconds). */
  authTime?: number;
  /** RFC 8176 `amr` (docs/sign-in-experience.md#amr): set on the token of a sign-in. */
  amr?: readonly string[];
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  dpopJkt?: string;
}

/** A token whose claims are fixed and whose signature is not yet computed. */
export interface PreparedToken {
  jti: string;
  claims: AccessTokenClaims;
  /** Signs on libuv's thread pool, off the event loop (docs/performance.md#signing-off-the-event-loop). */
  sign(): Promise<MintedToken>;
}

export interface MintedToken {
  token: string;
  jti: string;
  /** The key that signed it. */
  kid: string;
  claims: AccessTokenClaims;
  expiresIn: number;
}

/**
 * Mints RS256 access tokens. Its one caller is TokenIssuer (token-issuer.spec.ts keeps it so):
 * every token is gated and audited there. Signing uses node:crypto over the cached KeyObject
 * (docs/performance.md: about 30 % faster than jose's SignJWT), with a callback, so the RSA
 * private-key operation runs on libuv's thread pool and the event loop goes on serving other
 * requests meanwhile (docs/performance.md#signing-off-the-event-loop).
 */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly keys: SigningKeyService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Tests mint forged and expired tokens with this; the server's tokens go through TokenIssuer. */
  mint(input: MintInput): Promise<MintedToken> {
    return this.prepare(input).sign();
  }

  /**
   * An identity assertion signed with the current key (docs/id-jag.md#gatehouse-as-the-identity-provider),
   * for TokenIssuer only, like {@link prepare}: the claims now, the signature later.
   */
  prepareAssertion(input: AssertionInput): PreparedAssertion {
    const signer = this.keys.currentSigner();
    const now = epochSeconds(this.clock.now());
    const jti = newId('token');
    const exp = now + input.ttlS;
    const claims = {
      ...input.claims,
      iss: this.config.issuer,
      sub: input.sub,
      aud: input.audience,
      iat: now,
      exp,
      jti,
    };
    const header = { alg: 'RS256', typ: input.typ, kid: signer.kid };
    return {
      jti,
      claims,
      sign: async () => {
        const signingInput = `${b64(header)}.${b64(claims)}`;
        const signature = await signOffLoop(Buffer.from(signingInput), signer.key);
        return { token: `${signingInput}.${signature}`, kid: signer.kid, expiresIn: exp - now };
      },
    };
  }

  /**
   * An ID token (OIDC Core §2): RS256 with the current key, `typ: JWT` — never `at+jwt`, so
   * no verifier of Gatehouse or `libs/verifier` accepts it as an access token. Its one caller
   * is TokenIssuer, after the access token it describes is signed (`at_hash`).
   */
  async signIdToken(
    input: Omit<IdTokenClaims, 'iss' | 'iat' | 'exp' | 'at_hash'> & { accessToken: string; ttlS: number },
  ): Promise<{ token: string; claims: IdTokenClaims }> {
    const signer = this.keys.currentSigner();
    const now = epochSeconds(this.clock.now());
    const { accessToken, ttlS, ...rest } = input;
    const claims = {
      iss: this.config.issuer,
      ...(rest as Omit<IdTokenClaims, 'iss' | 'iat' | 'exp' | 'at_hash'>),
      iat: now,
      exp: now + ttlS,
      at_hash: atHash(accessToken),
    } as IdTokenClaims;
    const header = { alg: 'RS256', typ: 'JWT', kid: signer.kid };
    const signingInput = `${b64(header)}.${b64(claims)}`;
    return { token: `${signingInput}.${await signOffLoop(Buffer.from(signingInput), signer.key)}`, claims };
  }

  /**
   * The token's claims, decided now (jti, exp, the signing key), and the signature for
   * later: TokenIssuer sends the audit row, which needs only the claims, before it signs,
   * so the signature is computed while the row commits (docs/performance.md#overlapped-waits).
   */
  prepare(input: MintInput): PreparedToken {
    if (input.tier === 'admin' && input.org) throw new Error('admin tokens never carry an org');
    const signer = this.keys.currentSigner();
    const now = epochSeconds(this.clock.now());
    const jti = newId('token');
    const d = input.delegation;
    // Computed once: never later than what the subject token allows (docs/design.md §3).
    const exp = d ? Math.min(now + input.ttlS, d.notAfter) : now + input.ttlS;
    const claims: AccessTokenClaims = {
      iss: this.config.issuer,
      sub: input.sub,
      aud: input.audience ?? this.config.audience,
      exp,
      iat: now,
      nbf: now,
      jti,
      scope: input.scopes.join(' '),
      tier: input.tier,
      ...(input.clientId ? { client_id: input.clientId } : {}),
      ...(input.org ? { org: input.org.name, org_id: input.org.id } : {}),
      ...(d ? { act: d.act, ...(d.step !== undefined ? { step: d.step } : {}), parent_jti: d.parentJti } : {}),
      ...(input.authTime !== undefined ? { auth_time: input.authTime } : {}),
      ...(input.amr?.length ? { amr: [...input.amr] } : {}),
      ...(input.mayAct?.length
        ? { may_act: { sub: input.mayAct.length === 1 ? input.mayAct[0] : [...input.mayAct] } }
        : {}),
      ...(input.dpopJkt ? { cnf: { jkt: input.dpopJkt } } : {}),
    };
    const header = { alg: 'RS256', typ: ACCESS_TOKEN_TYP, kid: signer.kid };
    return {
      jti,
      claims,
      sign: async () => {
        const signingInput = `${b64(header)}.${b64(claims)}`;
        const signature = await signOffLoop(Buffer.from(signingInput), signer.key);
        return { token: `${signingInput}.${signature}`, jti, kid: signer.kid, claims, expiresIn: exp - now };
      },
    };
  }
}

/** A signed JWT that is not an access token (an ID-JAG): its own `typ`, its own claims. */
export interface AssertionInput {
  /** The JWS `typ` (RFC 8725 §3.11: explicit typing keeps it from passing for an access token). */
  typ: string;
  sub: string;
  audience: string;
  ttlS: number;
  /** Claims besides iss, sub, aud, iat, exp and jti, which are set here. */
  claims: Record<string, unknown>;
}

export interface PreparedAssertion {
  jti: string;
  claims: Record<string, unknown> & { exp: number; iat: number };
  sign(): Promise<{ token: string; kid: string; expiresIn: number }>;
}

/** OIDC Core §2 ID token claims (docs/sign-in.md#the-id-token). */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  azp: string;
  exp: number;
  iat: number;
  auth_time: number;
  nonce?: string;
  acr: string;
  amr: string[];
  sid: string;
  at_hash: string;
  [claim: string]: unknown;
}

/** OIDC Core §3.1.3.6 `at_hash`: the left half of SHA-256 of the access token, base64url. */
export function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** RS256 over `data`, computed on the thread pool (node:crypto's `sign` with a callback). */
function signOffLoop(data: Buffer, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', data, key, (err, signature) => (err ? reject(err) : resolve(signature.toString('base64url'))));
  });
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
