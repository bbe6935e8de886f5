import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, GATEHOUSE_CONFIG, isId, type Clock, type GatehouseConfig } from '@gatehouse/core';
import { ReplayCache } from '@gatehouse/ratelimit';
import { isAsymmetricJwsAlg, splitCompactJws, verifyJws, type CompactJws } from '@gatehouse/verifier';
import type { ClientRecord } from '../client-cache';
import { ClientKeySource, ClientKeysUnavailable } from './client-key-source';
import { isUrlClientId } from './client-id-url';

/** RFC 7523 §3 item 4: an assertion lives minutes at most; Gatehouse takes five. */
export const MAX_ASSERTION_LIFETIME_S = 300;
/** Clock allowance on `exp`, `nbf` and `iat`, either way. */
export const ASSERTION_CLOCK_TOLERANCE_S = 5;
const MAX_ASSERTION_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;

/** A refused assertion; `reason` goes to the audit row and the log, never to the client. */
export class AssertionRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AssertionRefused';
  }
}

/** An assertion split, and the client it claims to come from (not yet proven). */
export interface ClaimedAssertion {
  jws: CompactJws;
  clientId: string;
}

/**
 * `private_key_jwt` client assertions (RFC 7523 §2.2, §3; RFC 7521 §4.2;
 * docs/client-authentication.md#assertions). {@link claim} reads which client an assertion
 * names; {@link verify} proves it:
 * - `alg` one of RS256, PS256, ES256, EdDSA — never `none`, never an HMAC;
 * - signed by one of the client's registered keys: the one named by `kid`, or any key whose
 *   type and `alg` fit (a `jwks_uri` is refetched once, within its cooldown, when none does);
 * - `iss` = `sub` = the client id;
 * - `aud` names Gatehouse: its issuer, its token endpoint, or the endpoint called;
 * - `exp` present, not past, at most five minutes ahead; `nbf` and `iat` not in the future;
 * - `jti` present and never seen before until the assertion expires (the replay cache).
 */
@Injectable()
export class ClientAssertions {
  constructor(
    private readonly keys: ClientKeySource,
    private readonly replay: ReplayCache,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  claim(assertion: string): ClaimedAssertion {
    const jws = splitCompactJws(assertion, MAX_ASSERTION_LENGTH);
    if (!jws) throw new AssertionRefused('client assertion is not a compact JWS');
    const { iss, sub } = jws.payload;
    // An app, or a self-registered client (docs/client-registration.md#at-the-token-endpoint).
    if (typeof sub !== 'string' || !(isId('app', sub) || isId('dynamicClient', sub) || isUrlClientId(sub)))
      throw new AssertionRefused('client assertion "sub" is not a client id');
    if (iss !== sub) throw new AssertionRefused('client assertion "iss" differs from "sub"');
    return { jws, clientId: sub };
  }

  async verify(
    { jws }: ClaimedAssertion,
    app: Pick<ClientRecord, 'id' | 'keys' | 'jwksUri'>,
    endpointUrl: string,
  ): Promise<void> {
    const { header, payload: c } = jws;
    if (!isAsymmetricJwsAlg(header.alg))
      throw new AssertionRefused(`client assertion alg ${String(header.alg)} not allowed`);
    if (header.crit !== undefined) throw new AssertionRefused('client assertion has critical header parameters');
    const alg = header.alg;
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    let verified = await this.signedBy(app, jws, alg, kid, false);
    if (!verified && app.jwksUri) verified = await this.signedBy(app, jws, alg, kid, true);
    if (!verified) throw new AssertionRefused('client assertion is not signed by a registered key');

    const issuer = this.config.issuer;
    const accepted = new Set([issuer, `${issuer}/oauth/token`, endpointUrl]);
    const aud = typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud : [];
    if (!aud.some((a) => typeof a === 'string' && accepted.has(a))) {
      throw new AssertionRefused('client assertion "aud" does not name this server');
    }
    const now = this.clock.now().getTime() / 1000;
    const skew = ASSERTION_CLOCK_TOLERANCE_S;
    if (typeof c.exp !== 'number' || !Number.isFinite(c.exp))
      throw new AssertionRefused('client assertion has no "exp"');
    if (c.exp <= now - skew) throw new AssertionRefused('client assertion has expired');
    if (c.exp > now + MAX_ASSERTION_LIFETIME_S + skew) {
      throw new AssertionRefused('client assertion "exp" is more than 5 minutes ahead');
    }
    for (const claim of ['nbf', 'iat'] as const) {
      const v = c[claim];
      if (v !== undefined && (typeof v !== 'number' || v > now + skew)) {
        throw new AssertionRefused(`client assertion "${claim}" is in the future or not a number`);
      }
    }
    if (typeof c.jti !== 'string' || c.jti.length === 0 || c.jti.length > MAX_JTI_LENGTH) {
      throw new AssertionRefused('client assertion has no valid "jti"');
    }
    // Remembered until it expires (plus the allowance): after that, exp refuses it anyway.
    if (!(await this.replay.firstUse(`ca:${app.id}:${c.jti}`, c.exp - now + 2 * skew))) {
      throw new AssertionRefused('client assertion "jti" was used before');
    }
  }

  /** Whether one of the client's keys that fits `alg` (and `kid`, when named) verifies the signature. */
  private async signedBy(
    app: Pick<ClientRecord, 'keys' | 'jwksUri'>,
    jws: CompactJws,
    alg: Parameters<typeof verifyJws>[0],
    kid: string | undefined,
    refetch: boolean,
  ): Promise<boolean> {
    let keys;
    try {
      keys = await this.keys.keys(app, refetch);
    } catch (err) {
      if (err instanceof ClientKeysUnavailable) throw new AssertionRefused(err.message);
      throw err;
    }
    // `kid` picks the key; keys registered without one stay candidates when no key carries it.
    const fitting = keys.filter((k) => k.algs.includes(alg));
    const named = kid === undefined ? fitting : fitting.filter((k) => k.kid === kid);
    const candidates = named.length > 0 || kid === undefined ? named : fitting.filter((k) => k.kid === undefined);
    return candidates.some((k) => verifyJws(alg, k.key, jws.signingInput, jws.signature));
  }
}
