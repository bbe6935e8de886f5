import {
  GuardedFetchError,
  type GuardedFetcher,
  type GuardedFetchOptions,
  type GuardedResponse,
} from './guarded-fetch';

export interface CachePolicy {
  /** Bounds on the document's own `Cache-Control: max-age`, in seconds. */
  minMaxAgeS: number;
  maxMaxAgeS: number;
  /** Freshness when the document says nothing. */
  defaultMaxAgeS: number;
  /** Least time between two refetches that {@link CachedDocuments.refresh} asks for (an unknown `kid`). */
  refreshCooldownS: number;
  /** After a failed fetch, the same URL is not fetched again for this long; the failure is rethrown. */
  errorCooldownS: number;
  /** Documents kept; the least recently fetched go first. */
  maxEntries: number;
}

interface Entry<T> {
  value?: T;
  etag?: string;
  freshUntil: number;
  lastAttempt: number;
  failure?: { error: Error; until: number };
  inFlight?: Promise<T>;
}

/**
 * Fetched documents (a client's JWKS, a Client ID Metadata Document) cached per URL on top
 * of the {@link GuardedFetcher}: fresh for the document's `max-age` clamped to the policy's
 * bounds (`no-store` and `no-cache` count as the minimum), revalidated with its ETag, one
 * fetch at a time per URL. A failure — the fetch's or `parse`'s — is never cached as a
 * document: the caller gets the error, and the URL is left alone for `errorCooldownS` so a
 * failing host is not hammered. `refresh` refetches early (a signature by a key not in the
 * cached set), at most once per `refreshCooldownS`, like libs/verifier/src/key-set.ts.
 *
 * @example
 * ```ts
 * const jwks = new CachedDocuments(fetcher, { maxBytes: 64 * 1024 }, (res) => JSON.parse(res.body.toString('utf8')), policy);
 * const doc = await jwks.get('https://client.example.com/jwks.json');
 * ```
 */
export class CachedDocuments<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly fetcher: Pick<GuardedFetcher, 'fetch'>,
    private readonly fetchOptions: GuardedFetchOptions,
    /** Turns a response into the document; what it throws is a failure like the fetcher's. */
    private readonly parse: (res: GuardedResponse, url: string) => T,
    private readonly policy: CachePolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached document while fresh, else a fetch (shared by concurrent callers). */
  get(url: string): Promise<T> {
    const e = this.entries.get(url);
    const now = this.now();
    if (e?.value !== undefined && now < e.freshUntil) return Promise.resolve(e.value);
    return this.load(url, e, now);
  }

  /** Refetches now unless the last attempt is younger than the refresh cooldown; then the cached answer. */
  refresh(url: string): Promise<T> {
    const e = this.entries.get(url);
    const now = this.now();
    if (e?.inFlight) return e.inFlight;
    if (e && now - e.lastAttempt < this.policy.refreshCooldownS * 1000) return this.get(url);
    return this.load(url, e, now, true);
  }

  /** Drops a URL's document (its client changed). */
  forget(url: string): void {
    this.entries.delete(url);
  }

  private load(url: string, existing: Entry<T> | undefined, now: number, forced = false): Promise<T> {
    if (existing?.inFlight) return existing.inFlight;
    if (!forced && existing?.failure && now < existing.failure.until) return Promise.reject(existing.failure.error);
    const entry: Entry<T> = existing ?? { freshUntil: 0, lastAttempt: 0 };
    entry.lastAttempt = now;
    entry.inFlight = this.fetchOnce(url, entry).finally(() => {
      entry.inFlight = undefined;
    });
    this.entries.delete(url); // re-inserted last: the map's order is the eviction order
    this.entries.set(url, entry);
    this.evict();
    return entry.inFlight;
  }

  private async fetchOnce(url: string, entry: Entry<T>): Promise<T> {
    try {
      const res = await this.fetcher.fetch(url, {
        ...this.fetchOptions,
        ...(entry.etag && entry.value !== undefined ? { etag: entry.etag } : {}),
      });
      const value = res.status === 304 && entry.value !== undefined ? entry.value : this.parse(res, url);
      entry.value = value;
      entry.etag = res.headers.etag;
      entry.freshUntil = this.now() + this.freshnessS(res.headers['cache-control']) * 1000;
      entry.failure = undefined;
      return value;
    } catch (err) {
      // Never serve what failed, nor a stale copy in its place.
      entry.value = undefined;
      entry.etag = undefined;
      entry.freshUntil = 0;
      const error = err instanceof Error ? err : new GuardedFetchError('network_error', String(err));
      entry.failure = { error, until: this.now() + this.policy.errorCooldownS * 1000 };
      throw error;
    }
  }

  /** RFC 9111 §5.2.2.1 max-age within the policy's bounds; no-store / no-cache is the minimum. */
  private freshnessS(cacheControl: string | undefined): number {
    const p = this.policy;
    let maxAge = p.defaultMaxAgeS;
    if (cacheControl) {
      if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cacheControl)) maxAge = 0;
      else {
        const m = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
        if (m) maxAge = Number(m[1]);
      }
    }
    return Math.min(p.maxMaxAgeS, Math.max(p.minMaxAgeS, maxAge));
  }

  private evict(): void {
    while (this.entries.size > this.policy.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
