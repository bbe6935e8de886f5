import { createPublicKey, type KeyObject } from 'node:crypto';
import { maxAgeOf, readJson, request, type FetchLike } from './http';

export interface KeySetOptions {
  issuer: string;
  /** Skip discovery and fetch this JWKS. */
  jwksUri?: string;
  fetch: FetchLike;
  timeoutMs: number;
  /** Least time between two fetches caused by unknown kids. */
  cooldownMs: number;
  /** Bounds on the server's `Cache-Control: max-age`. */
  minMaxAgeS: number;
  maxMaxAgeS: number;
  /** When the server sends no max-age. */
  defaultMaxAgeS: number;
}

export interface KeySetHealth {
  kids: string[];
  fetched_at: string | null;
  fresh_until: string | null;
  /** The cached set is past its max-age and could not be refreshed yet. */
  stale: boolean;
  last_error: string | null;
}

/**
 * The issuer's JWKS, cached per `kid` as imported KeyObjects. Refreshed in the background
 * once the server's max-age has passed (stale-while-revalidate: cached keys keep serving
 * while Gatehouse is down), and at once for an unknown kid — at most once per cooldown, so
 * a flood of made-up kids cannot hammer Gatehouse (as jose's remote JWKS does).
 */
export class RemoteKeySet {
  readonly metadata: { jwksUri?: string; tokenEndpoint?: string } = {};
  private keys = new Map<string, KeyObject>();
  private etag: string | null = null;
  private fetchedAt = 0;
  private freshUntil = 0;
  private lastAttempt = -Infinity;
  private lastError: string | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly o: KeySetOptions) {
    if (o.jwksUri) this.metadata.jwksUri = o.jwksUri;
  }

  get loaded(): boolean {
    return this.fetchedAt > 0;
  }

  /** The cached key; schedules a background refresh when the cache has gone stale. */
  get(kid: string): KeyObject | undefined {
    if (Date.now() >= this.freshUntil && this.inFlight === null && Date.now() - this.lastAttempt >= this.o.cooldownMs) {
      this.refresh().catch(() => undefined);
    }
    return this.keys.get(kid);
  }

  /** Before any key is loaded: retry at most every few seconds, however many requests wait. */
  get mayRetryLoad(): boolean {
    return this.inFlight !== null || Date.now() - this.lastAttempt >= Math.min(this.o.cooldownMs, 5000);
  }

  /** For an unknown kid: refetch unless one ran within the cooldown. */
  async lookup(kid: string): Promise<KeyObject | undefined> {
    const known = this.keys.get(kid);
    if (known) return known;
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    else if (!this.loaded || Date.now() - this.lastAttempt >= this.o.cooldownMs) {
      await this.refresh().catch(() => undefined);
    }
    return this.keys.get(kid);
  }

  /** One fetch at a time; concurrent callers share it. Rejects when the fetch fails. */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  health(): KeySetHealth {
    return {
      kids: [...this.keys.keys()],
      fetched_at: this.fetchedAt ? new Date(this.fetchedAt).toISOString() : null,
      fresh_until: this.freshUntil ? new Date(this.freshUntil).toISOString() : null,
      stale: !this.loaded || Date.now() >= this.freshUntil + this.o.cooldownMs,
      last_error: this.lastError,
    };
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttempt = Date.now();
    try {
      const uri = this.metadata.jwksUri ?? (await this.discover());
      const headers: Record<string, string> = { accept: 'application/jwk-set+json, application/json' };
      if (this.etag && this.keys.size) headers['if-none-match'] = this.etag;
      const res = await request(this.o.fetch, uri, { headers }, this.o.timeoutMs);
      if (res.status !== 304) {
        if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
        this.keys = importKeys(await readJson(res, 'JWKS'));
        this.etag = res.headers.get('etag');
      }
      const maxAge = maxAgeOf(res.headers.get('cache-control')) ?? this.o.defaultMaxAgeS;
      const bounded = Math.min(this.o.maxMaxAgeS, Math.max(this.o.minMaxAgeS, maxAge));
      this.fetchedAt = Date.now();
      this.freshUntil = this.fetchedAt + bounded * 1000;
      this.lastError = null;
    } catch (err) {
      this.lastError = (err as Error).message;
      throw err;
    }
  }

  /** RFC 8414 §3: metadata at the well-known path; its `issuer` must be ours exactly (§3.3). */
  private async discover(): Promise<string> {
    const url = `${this.o.issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`;
    const res = await request(this.o.fetch, url, { headers: { accept: 'application/json' } }, this.o.timeoutMs);
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    const doc = await readJson(res, 'discovery');
    if (doc.issuer !== this.o.issuer) throw new Error(`discovery names issuer ${String(doc.issuer)}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
    this.metadata.jwksUri = doc.jwks_uri;
    if (typeof doc.token_endpoint === 'string') this.metadata.tokenEndpoint = doc.token_endpoint;
    return doc.jwks_uri;
  }
}

/** RSA signing keys only, 2048 bits or more; anything else in the set is skipped. */
function importKeys(doc: Record<string, unknown>): Map<string, KeyObject> {
  if (!Array.isArray(doc.keys)) throw new Error('JWKS has no keys array');
  const keys = new Map<string, KeyObject>();
  for (const jwk of doc.keys as Record<string, unknown>[]) {
    if (jwk?.kty !== 'RSA' || typeof jwk.kid !== 'string' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string')
      continue;
    if ((jwk.use !== undefined && jwk.use !== 'sig') || (jwk.alg !== undefined && jwk.alg !== 'RS256')) continue;
    try {
      const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) keys.set(jwk.kid, key);
    } catch {
      // a key we cannot import verifies nothing
    }
  }
  return keys;
}
