import { Inject, Injectable } from '@nestjs/common';
import { RefusalAudit, type RequestMeta } from '@gatehouse/audit';
import { CLOCK, GATEHOUSE_CONFIG, type Clock, type GatehouseConfig, type Tier } from '@gatehouse/core';
import { KEK, deriveKey } from '@gatehouse/credentials';
import { ReplayCache } from '@gatehouse/ratelimit';
import { ASYMMETRIC_JWS_ALGS, DpopNonces, DpopProofChecker, DpopProofError } from '@gatehouse/verifier';

/** Clock allowance on a proof's `iat`, either way (as on Gatehouse's own token checks). */
const PROOF_CLOCK_TOLERANCE_S = 5;
/** A server nonce changes this often and is accepted for at most two windows (RFC 9449 §8). */
const NONCE_WINDOW_S = 60;

/** Why a proof was refused: `invalid_dpop_proof`, or `use_dpop_nonce` with the nonce to use. */
export class DpopRefused extends Error {
  constructor(
    readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce',
    readonly description: string,
    readonly nonce?: string,
  ) {
    super(description);
    this.name = 'DpopRefused';
  }
}

/** Where a proof was presented and for whom, for the audit row of a refusal. */
export interface DpopContext {
  meta: RequestMeta;
  /** The endpoint, as the audit row names it (`/oauth/token`, `GET /v1/me`). */
  endpoint: string;
  actor?: { id: string; tier: Tier } | null;
  orgId?: string | null;
  /** The bound access token's jti, on a bearer route. */
  jti?: string | null;
}

export interface DpopExpectation {
  method: string;
  /** The URI as the client addresses it: Gatehouse's issuer plus the path (query ignored). */
  url: string;
  /** The access token the proof goes with (`ath`), on a bearer route. */
  accessToken?: string;
  /** The key the token is bound to: a proof by any other key is refused before its jti is spent. */
  jkt?: string;
  /** The proof must carry a current server nonce (an app's `dpop_nonce_required`). */
  requireNonce?: boolean;
}

/**
 * DPoP proofs as Gatehouse checks them, at the token endpoint and on its own bearer routes
 * (docs/client-authentication.md#dpop): the stateless checks of `@gatehouse/verifier`'s
 * {@link DpopProofChecker} (one implementation for Gatehouse and resource servers), then
 * the server nonce when demanded (stateless, an HMAC of the time window under a key
 * derived from the KEK, so every instance issues and accepts the same nonces), then the
 * `jti` against the replay cache (Redis when configured). Every refusal is audited
 * (`dpop.proof_rejected`) and thrown as {@link DpopRefused}, which each surface renders.
 */
@Injectable()
export class DpopProofs {
  /** RFC 9449 §5.1 `dpop_signing_alg_values_supported`. */
  readonly algs = ASYMMETRIC_JWS_ALGS;
  private readonly checker = new DpopProofChecker();
  private readonly nonces: DpopNonces;

  constructor(
    @Inject(KEK) kek: Buffer,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly replay: ReplayCache,
    private readonly refusals: RefusalAudit,
  ) {
    this.nonces = new DpopNonces({ secret: deriveKey(kek, 'dpop-nonce/v1'), windowS: NONCE_WINDOW_S });
  }

  /** The nonce to hand out now (`DPoP-Nonce`). */
  currentNonce(): string {
    return this.nonces.current(this.nowS());
  }

  /** Checks one `DPoP` header value; resolves with the key's thumbprint, or throws {@link DpopRefused}. */
  async check(
    value: string | string[] | undefined,
    expect: DpopExpectation,
    ctx: DpopContext,
  ): Promise<{ jkt: string }> {
    const now = this.nowS();
    let jkt: string | undefined;
    try {
      const proof = this.checker.check(Array.isArray(value) ? value.join(', ') : value, {
        method: expect.method,
        url: expect.url,
        accessToken: expect.accessToken,
        maxAgeS: this.config.dpopProofMaxAgeS,
        clockToleranceS: PROOF_CLOCK_TOLERANCE_S,
        now,
      });
      jkt = proof.jkt;
      if (expect.jkt !== undefined && proof.jkt !== expect.jkt) {
        throw new DpopRefused('invalid_dpop_proof', 'The DPoP proof is not signed with the key the token is bound to.');
      }
      if (expect.requireNonce && !this.nonces.check(proof.nonce, now)) {
        throw new DpopRefused(
          'use_dpop_nonce',
          proof.nonce === undefined
            ? 'This client must sign its DPoP proofs with the server nonce.'
            : 'The DPoP nonce is stale; use the current one.',
          this.nonces.current(now),
        );
      }
      const ttlS = this.config.dpopProofMaxAgeS + 2 * PROOF_CLOCK_TOLERANCE_S;
      if (!(await this.replay.firstUse(`dpop:${proof.jkt}:${proof.jti}`, ttlS))) {
        throw new DpopRefused('invalid_dpop_proof', 'This DPoP proof has been used before.');
      }
      return { jkt: proof.jkt };
    } catch (err) {
      const refused =
        err instanceof DpopRefused
          ? err
          : err instanceof DpopProofError
            ? new DpopRefused('invalid_dpop_proof', err.message)
            : null;
      if (!refused) throw err;
      await this.audit(ctx, refused.description, jkt);
      throw refused;
    }
  }

  /** A bound token presented without its proof (RFC 9449 §7.1), or another DPoP misuse found by the caller. */
  async refuse(ctx: DpopContext, description: string): Promise<DpopRefused> {
    await this.audit(ctx, description);
    return new DpopRefused('invalid_dpop_proof', description);
  }

  private audit(ctx: DpopContext, reason: string, jkt?: string): Promise<void> {
    return this.refusals.dpopRejected(ctx.meta, {
      endpoint: ctx.endpoint,
      reason,
      actor: ctx.actor ?? null,
      orgId: ctx.orgId ?? null,
      jti: ctx.jti ?? null,
      jkt: jkt ?? null,
    });
  }

  private nowS(): number {
    return this.clock.now().getTime() / 1000;
  }
}
