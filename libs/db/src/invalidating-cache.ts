import type { CacheListener, CacheSubscriber } from './cache-listener';

export interface InvalidatingCacheOptions {
  /** The NOTIFY channel the tables' triggers send on (e.g. `gatehouse_control`). */
  channel: string;
  /** What the cache holds, for the listener's log lines ("every client", "every org's state"). */
  what: string;
  maxEntries?: number;
}

interface Entry<V> {
  value: V;
  tags: readonly string[];
}

/**
 * A per-instance cache kept exact across instances by PostgreSQL LISTEN/NOTIFY
 * (docs/control.md#live). The discipline of the token endpoint's client
 * cache, made generic:
 *
 * - Invalidation: triggers NOTIFY every committed change on `channel` with a key
 *   (`org:<id>`, `usr:<id>`, … or `*` for everything). An entry is dropped when a
 *   notification names its key or one of its tags.
 * - No stale read, ever: before a read may use the cache, the process's one listening
 *   connection (CacheListener, shared by every cache) makes a round trip, and PostgreSQL
 *   delivers a listener's pending notifications before the reply to its next statement. So
 *   every change committed before the read began has been applied when it is served. One
 *   round trip serves every read of every cache that arrived while the previous one was in
 *   flight, so under load it costs a fraction of a query per request.
 * - A load that raced a notification is not cached: a generation counter, bumped by every
 *   notification and every (re)connection, must be unchanged between the load and the put.
 * - While the listening connection is down the cache is empty and bypassed (every read
 *   loads) until it has reconnected, subscribed and seen its probe again.
 */
export class InvalidatingCache<V> implements CacheSubscriber {
  private readonly entries = new Map<string, Entry<V>>();
  /** tag → keys of the entries carrying it. */
  private readonly byTag = new Map<string, Set<string>>();
  private readonly maxEntries: number;
  private readonly unsubscribe: () => void;
  private generation = 0;
  private readonly counters = { hits: 0, misses: 0, bypassed: 0 };
  readonly what: string;

  constructor(
    private readonly listener: CacheListener,
    opts: InvalidatingCacheOptions,
  ) {
    this.what = opts.what;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.unsubscribe = listener.subscribe(opts.channel, this);
  }

  /**
   * The cached value for `key`, or what `load` reads (cached when that is safe). `load`
   * returns the value and the tags that must also evict it; `null` is not cached.
   */
  async get(key: string, load: () => Promise<{ value: V; tags?: string[] } | null>): Promise<V | null> {
    const usable = await this.listener.sync();
    if (usable) {
      const hit = this.entries.get(key);
      if (hit) {
        this.counters.hits++;
        return hit.value;
      }
      this.counters.misses++;
    } else {
      this.counters.bypassed++;
    }
    const generation = this.generation;
    const loaded = await load();
    if (!loaded) return null;
    if (this.listener.listening && generation === this.generation) this.put(key, loaded.value, loaded.tags ?? []);
    return loaded.value;
  }

  get listening(): boolean {
    return this.listener.listening;
  }

  stats(): { hits: number; misses: number; bypassed: number; size: number } {
    return { ...this.counters, size: this.entries.size };
  }

  close(): void {
    this.unsubscribe();
    this.reset();
  }

  notify(payload: string | undefined): void {
    this.generation++;
    if (!payload || payload === '*') {
      this.entries.clear();
      this.byTag.clear();
      return;
    }
    for (const key of [...(this.byTag.get(payload) ?? [])]) this.evict(key);
  }

  reset(): void {
    this.generation++;
    this.entries.clear();
    this.byTag.clear();
  }

  private put(key: string, value: V, tags: string[]): void {
    this.evict(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.evict(oldest);
    }
    const all = [key, ...tags];
    this.entries.set(key, { value, tags: all });
    for (const tag of all) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  private evict(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
  }
}
