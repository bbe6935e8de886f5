import { timingSafeEqual } from 'node:crypto';
import { VerifierError } from '../errors';
import type { VerifiedPrincipal } from '../principal';
import type { Verifier } from '../verifier';
import { DpopError, type DpopChallenge } from './dpop-error';
import { ASYMMETRIC_JWS_ALGS, type AsymmetricJwsAlg } from './jws';
import type { DpopNonces } from './nonce';
import { DpopProofChecker, DpopProofError } from './proof';
import { MemoryReplayStore, type DpopReplayStore } from './replay-store';

export interface DpopVerifierOptions {
  /** Verifies the access token itself (signature, claims, revocation). */
  verifier: Pick<Verifier, 'verify'>;
  /**
   * Where seen proofs are remembered (default: this process's memory). With several
   * instances, share one store ({@link RedisReplayStore}) or a proof can be replayed once
   * per instance.
   */
  replay?: DpopReplayStore;
  /** Accepted proof algorithms (default RS256, PS256, ES256, EdDSA), also sent as `algs`. */
  algs?: readonly AsymmetricJwsAlg[];
  /** How old a proof's `iat` may be, in seconds (default 300, the MCP DPoP profile's window). */
  maxAgeS?: number;
  /** Clock allowance either way, in seconds (default 5). */
  clockToleranceS?: number;
  /** Server nonces (RFC 9449 §9); with `requireNonce`, every proof must carry a current one. */
  nonces?: DpopNonces;
  requireNonce?: boolean;
  /** Refuse bearer tokens altogether (default false: unbound tokens may still come as `Bearer`). */
  requireDpop?: boolean;
  /** The origin requests arrive at (`https://api.example.com`), when {@link DpopRequest.url} is a path. */
  origin?: string;
}

/** The parts of an HTTP request the check reads. */
export interface DpopRequest {
  method: string;
  /** The absolute request URI as the client addressed it, or a path with `origin` set. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A verified caller; `dpop` is set when the token is DPoP-bound and the proof held. */
export type DpopPrincipal = VerifiedPrincipal & { dpop?: { jkt: string } };

const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The resource-server side of RFC 9449 §7: accepts `Authorization: DPoP <token>` with a
 * `DPoP` proof, and `Authorization: Bearer <token>` for tokens that are not bound. In
 * order: the token verifies ({@link Verifier.verify}); a bound token (`cnf.jkt`) must come
 * with the DPoP scheme and a proof, and an unbound one may not; the proof passes the
 * stateless checks (`typ`, `alg`, public `jwk`, signature, `htm`, `htu`, `iat`, `ath`);
 * its key's thumbprint equals `cnf.jkt`; the nonce, when demanded, is current; and its
 * `jti` has not been seen. Refusals are {@link DpopError}s answering with
 * `WWW-Authenticate: DPoP algs="…", error="…"` (and `Bearer` too, unless `requireDpop`).
 *
 * @example
 * ```ts
 * const dpop = createDpopVerifier({ verifier, replay: new RedisReplayStore({ redis: process.env.REDIS_URL! }) });
 * const principal = await dpop.verifyRequest({ method: req.method, url: `https://api.example.com${req.url}`, headers: req.headers });
 * ```
 */
export class DpopVerifier {
  private readonly checker = new DpopProofChecker();
  private readonly replay: DpopReplayStore;
  private readonly algs: readonly AsymmetricJwsAlg[];
  private readonly maxAgeS: number;
  private readonly toleranceS: number;

  constructor(private readonly o: DpopVerifierOptions) {
    this.replay = o.replay ?? new MemoryReplayStore();
    this.algs = o.algs ?? ASYMMETRIC_JWS_ALGS;
    this.maxAgeS = o.maxAgeS ?? 300;
    this.toleranceS = o.clockToleranceS ?? 5;
    if (o.requireNonce && !o.nonces) throw new TypeError('createDpopVerifier: requireNonce needs nonces');
  }

  /** The challenge for a request that brought no token (or the wrong kind): both schemes unless DPoP is required. */
  challenge(): DpopChallenge {
    return {
      algs: this.algs,
      bearer: !this.o.requireDpop,
      ...(this.o.requireNonce ? { nonce: this.o.nonces!.current() } : {}),
    };
  }

  async verifyRequest(req: DpopRequest): Promise<DpopPrincipal> {
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw new DpopError('token_missing', 'An access token is required.', this.challenge());
    }
    const m = typeof header === 'string' ? AUTHORIZATION.exec(header) : null;
    if (!m) {
      throw new DpopError(
        'invalid_request',
        'The Authorization header is not one Bearer or DPoP token.',
        this.challenge(),
      );
    }
    const scheme = m[1]!.toLowerCase();
    const token = m[2]!;
    if (scheme === 'bearer') return this.bearer(token);
    const principal = await this.o.verifier.verify(token).catch((err: unknown) => {
      throw err instanceof VerifierError ? DpopError.from(err, this.challenge()) : err;
    });
    const jkt = principal.claims.cnf?.jkt;
    if (typeof jkt !== 'string') {
      throw this.refuse('invalid_request', 'This token is not DPoP-bound: send it with the Bearer scheme.');
    }
    const proofValue = req.headers.dpop;
    if (Array.isArray(proofValue)) throw this.refuse('dpop_proof_invalid', 'Send exactly one DPoP proof.');
    let proof;
    try {
      proof = this.checker.check(proofValue, {
        method: req.method,
        url: this.o.origin && req.url.startsWith('/') ? `${this.o.origin.replace(/\/$/, '')}${req.url}` : req.url,
        accessToken: token,
        algs: this.algs,
        maxAgeS: this.maxAgeS,
        clockToleranceS: this.toleranceS,
      });
    } catch (err) {
      if (err instanceof DpopProofError) throw this.refuse('dpop_proof_invalid', err.message);
      throw err;
    }
    if (!sameString(proof.jkt, jkt)) {
      throw this.refuse('dpop_key_mismatch', 'The DPoP proof is not signed with the key the token is bound to.');
    }
    if (this.o.requireNonce && !this.o.nonces!.check(proof.nonce)) {
      throw this.refuse('dpop_nonce_required', 'Sign the DPoP proof with the nonce this server provides.');
    }
    let fresh: boolean;
    try {
      fresh = await this.replay.firstUse(`${jkt}:${proof.jti}`, this.maxAgeS + 2 * this.toleranceS);
    } catch (err) {
      throw new VerifierError('verifier_unavailable', 'Proof replay cannot be checked right now; try again.', {
        headers: { 'Retry-After': '2' },
        internal: (err as Error).message,
      });
    }
    if (!fresh) throw this.refuse('dpop_replayed', 'This DPoP proof has been used before.');
    return { ...principal, dpop: { jkt } };
  }

  private async bearer(token: string): Promise<DpopPrincipal> {
    if (this.o.requireDpop) throw this.refuse('dpop_required', 'This resource requires a DPoP-bound token.');
    const principal = await this.o.verifier.verify(token).catch((err: unknown) => {
      throw err instanceof VerifierError ? DpopError.from(err, this.challenge()) : err;
    });
    // RFC 9449 §7.1: a bound token used as a bearer token must be refused.
    if (principal.claims.cnf !== undefined) {
      throw this.refuse('dpop_required', 'This token is DPoP-bound: send it with the DPoP scheme and a proof.');
    }
    return principal;
  }

  private refuse(code: ConstructorParameters<typeof DpopError>[0], description: string): DpopError {
    return new DpopError(code, description, this.challenge());
  }
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Creates a {@link DpopVerifier}.
 *
 * @example
 * ```ts
 * import { createVerifier, createDpopVerifier } from '@gatehouse/verifier';
 *
 * const verifier = createVerifier({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * const dpop = createDpopVerifier({ verifier, origin: 'https://api.example.com' });
 * const principal = await dpop.verifyRequest({ method: req.method, url: req.url, headers: req.headers });
 * ```
 */
export function createDpopVerifier(options: DpopVerifierOptions): DpopVerifier {
  return new DpopVerifier(options);
}
