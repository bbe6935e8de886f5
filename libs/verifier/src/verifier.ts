import type { AccessTokenClaims } from './claims';
import { VerifierError } from './errors';
import type { FetchLike } from './http';
import { TokenChecker, type ParsedToken } from './jwt';
import { RemoteKeySet, type KeySetHealth } from './key-set';
import { toPrincipal, type VerifiedPrincipal } from './principal';
import { RevocationFeed, type FeedCredentials, type RevocationHealth } from './revocation-feed';

export interface RevocationFeedConfig {
  /** `{ clientId, clientSecret }` of an app granted `gatehouse:revocations`, or `{ token }`. */
  credentials: FeedCredentials;
  /** Poll interval (default 10 s): a revoked token is refused within one interval. */
  intervalS?: number;
  /** Default `<issuer>/v1/revocations`. */
  url?: string;
}

export interface VerifierOptions {
  /** Gatehouse's issuer URL, exactly as in the tokens' `iss`. */
  issuer: string;
  /** The audience(s) this service accepts (`aud` must name one). */
  audience: string | string[];
  /** Skip discovery and read this JWKS (default: `jwks_uri` from RFC 8414 discovery). */
  jwksUri?: string;
  /** Allowance for clock differences on exp/nbf/iat, in seconds (default 5). */
  clockToleranceS?: number;
  /** Least time between JWKS fetches caused by unknown kids (default 30 s). */
  unknownKidCooldownS?: number;
  /** Floor and ceiling for the JWKS `Cache-Control: max-age` (default 10 s and 1 day). */
  minJwksMaxAgeS?: number;
  maxJwksMaxAgeS?: number;
  /** Poll Gatehouse's revocation feed; without it, tokens are good until they expire. */
  revocations?: RevocationFeedConfig;
  /** Deadline for every call to Gatehouse (default 5 s). */
  timeoutMs?: number;
  fetch?: FetchLike;
  /** Told when the revocation feed goes down or comes back. */
  onRevocationModeChange?: (mode: RevocationHealth['mode'], error: string | null) => void;
}

export interface VerifierHealth {
  /** `ok`; `degraded` (stale keys, or revocation is expiry-only); `unavailable` (no keys at all). */
  status: 'ok' | 'degraded' | 'unavailable';
  jwks: KeySetHealth;
  revocations: RevocationHealth;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Verifies Gatehouse access tokens offline. Create one per process and share it.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * const principal = await verifier.verifyRequest(req.headers.authorization);
 * ```
 */
export class Verifier {
  readonly issuer: string;
  private readonly keys: RemoteKeySet;
  private readonly checker: TokenChecker;
  private readonly feed: RevocationFeed | null;
  private started: Promise<void> | null = null;

  constructor(options: VerifierOptions) {
    if (!options.issuer) throw new TypeError('createVerifier: issuer is required');
    const audiences = [options.audience].flat().filter(Boolean);
    if (!audiences.length) throw new TypeError('createVerifier: audience is required');
    this.issuer = options.issuer;
    const fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    const timeoutMs = options.timeoutMs ?? 5000;
    this.keys = new RemoteKeySet({
      issuer: options.issuer,
      jwksUri: options.jwksUri,
      fetch: fetchFn,
      timeoutMs,
      cooldownMs: (options.unknownKidCooldownS ?? 30) * 1000,
      minMaxAgeS: options.minJwksMaxAgeS ?? 10,
      maxMaxAgeS: options.maxJwksMaxAgeS ?? 86_400,
      defaultMaxAgeS: 300,
    });
    this.checker = new TokenChecker({
      issuer: options.issuer,
      audiences: new Set(audiences),
      clockToleranceS: options.clockToleranceS ?? 5,
    });
    const r = options.revocations;
    this.feed = r
      ? new RevocationFeed({
          url: r.url ?? `${options.issuer.replace(/\/$/, '')}/v1/revocations`,
          credentials: r.credentials,
          intervalMs: (r.intervalS ?? 10) * 1000,
          fetch: fetchFn,
          timeoutMs,
          tokenEndpoint: () => this.keys.metadata.tokenEndpoint ?? `${options.issuer.replace(/\/$/, '')}/oauth/token`,
          onChange: options.onRevocationModeChange,
        })
      : null;
  }

  /**
   * Loads discovery and the JWKS and starts the revocation feed. Optional — the first
   * verification does it — but awaiting it at start-up means no request waits for it.
   * Rejects when the JWKS cannot be loaded (the feed failing only degrades health).
   */
  ready(): Promise<void> {
    this.started ??= (async () => {
      await Promise.all([this.keys.refresh(), this.feed?.start()]);
    })();
    const started = this.started;
    started.catch(() => {
      if (this.started === started) this.started = null;
    });
    return started;
  }

  /**
   * Verifies a compact JWS access token: RS256 with a key from the issuer's JWKS,
   * `typ: at+jwt`, `iss`, `aud`, `exp`/`nbf`/`iat` within the clock tolerance, the tier
   * rules, and the revocation feed. Rejects with a {@link VerifierError}.
   */
  verify(token: string): Promise<VerifiedPrincipal> {
    let parsed: ParsedToken;
    try {
      parsed = this.checker.parse(token);
      const key = this.keys.get(parsed.kid);
      // The hot path: a known key, no awaiting anything.
      if (key) return Promise.resolve(this.finish(this.checker.verify(parsed, key, nowS())));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.verifyWithFetch(parsed);
  }

  /**
   * {@link verify} for an `Authorization` header value (RFC 6750 §2.1). A DPoP-bound token is
   * refused here (`dpop_required`): use {@link DpopVerifier} to accept those.
   */
  verifyRequest(authorization: string | string[] | undefined): Promise<VerifiedPrincipal> {
    if (authorization === undefined || authorization === '') {
      return Promise.reject(new VerifierError('token_missing', 'A bearer access token is required.'));
    }
    const m = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!m) {
      return Promise.reject(
        new VerifierError('invalid_request', 'The Authorization header is not a single Bearer token.'),
      );
    }
    return this.verify(m[1]).then(refuseBound);
  }

  health(): VerifierHealth {
    const jwks = this.keys.health();
    const revocations: RevocationHealth = this.feed?.health() ?? {
      mode: 'off',
      last_sync_at: null,
      cursor: null,
      revoked_tokens: 0,
      principal_marks: 0,
      access_stops: 0,
      last_error: null,
    };
    const status =
      jwks.kids.length === 0 ? 'unavailable' : jwks.stale || revocations.mode === 'expiry-only' ? 'degraded' : 'ok';
    return { status, jwks, revocations };
  }

  /** Stops the revocation poller (the process can then exit). */
  close(): void {
    this.feed?.stop();
  }

  private async verifyWithFetch(parsed: ParsedToken): Promise<VerifiedPrincipal> {
    if (!this.keys.loaded) {
      if (this.keys.mayRetryLoad) await this.ready().catch(() => undefined);
      if (!this.keys.loaded) {
        throw new VerifierError('verifier_unavailable', 'The signing keys are not available yet; try again.', {
          headers: { 'Retry-After': '5' },
          internal: this.keys.health().last_error ?? undefined,
        });
      }
    } else if (!this.started) void this.ready().catch(() => undefined);
    const key = await this.keys.lookup(parsed.kid);
    if (!key) throw new VerifierError('key_unknown', 'The token is signed by an unknown key.');
    return this.finish(this.checker.verify(parsed, key, nowS()));
  }

  private finish(claims: AccessTokenClaims): VerifiedPrincipal {
    if (this.feed?.isRevoked(claims)) throw new VerifierError('token_revoked', 'The token has been revoked.');
    const stopped = this.feed?.stoppedFor(claims);
    if (stopped)
      throw new VerifierError('access_stopped', `Access is stopped for this organization or app (${stopped}).`);
    if (!this.started) void this.ready().catch(() => undefined);
    return toPrincipal(claims);
  }
}

/**
 * RFC 9449 §7.1: a DPoP-bound token (`cnf`) presented as a bearer token is refused: whoever
 * copied it lacks the key. Such tokens are accepted through {@link DpopVerifier} only.
 */
function refuseBound(p: VerifiedPrincipal): VerifiedPrincipal {
  if (p.claims.cnf !== undefined) {
    throw new VerifierError('dpop_required', 'This token is DPoP-bound: send it with the DPoP scheme and a proof.');
  }
  return p;
}

function nowS(): number {
  return Date.now() / 1000;
}

/**
 * Creates a {@link Verifier}.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@gatehouse/verifier';
 *
 * const verifier = createVerifier({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * await verifier.ready();
 * const principal = await verifier.verify(token); // throws VerifierError
 * console.log(principal.tier, principal.sub, principal.scopes);
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  return new Verifier(options);
}
