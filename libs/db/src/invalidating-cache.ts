import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { errorCode, runDetached } from '@gatehouse/core';
import { Client } from 'pg';
import { DB_TIMEOUTS } from './pool-options';
import type { SqlPool } from './sql-pool';

export interface InvalidatingCacheOptions {
  /** The NOTIFY channel the tables' triggers send on (e.g. `gatehouse_control`). */
  channel: string;
  /** For log lines and the listening connection's application_name (`gatehouse-<name>`). */
  name: string;
  /** What the cache holds, for its log lines ("every client", "every org's state"). */
  what: string;
  /** The log event when the listener is lost (docs/reliability.md#events). */
  lostEvent: string;
  maxEntries?: number;
}

const RETRY_MS = [1_000, 2_000, 5_000];
/** The sync round trip on the listening connection; a hung server fails it, and the cache is bypassed. */
const SYNC_TIMEOUT_MS = DB_TIMEOUTS.connectMs;
/** How long a fresh listener waits for its probe notification before giving up (and retrying). */
const PROBE_TIMEOUT_MS = 3_000;

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
 * - No stale read, ever: before a read may use the cache, a round trip is made on the
 *   listening connection, and PostgreSQL delivers a listener's pending notifications before
 *   the reply to its next statement. So every change committed before the read began has
 *   been applied when it is served. One round trip serves every read that arrived while the
 *   previous one was in flight, so under load it costs a fraction of a query per read.
 * - A load that raced a notification is not cached: a generation counter, bumped by every
 *   notification and every (re)connection, must be unchanged between the load and the put.
 * - While the listening connection is down the cache is empty and bypassed (every read
 *   loads) until it has reconnected and subscribed again.
 * - A new listener is trusted only once a notification sent from another connection (the
 *   pool) has reached it: behind a transaction-mode pooler LISTEN does not hold, the probe
 *   never arrives, and the cache stays bypassed.
 */
export class InvalidatingCache<V> {
  private readonly log: Logger;
  private readonly entries = new Map<string, Entry<V>>();
  /** tag → keys of the entries carrying it. */
  private readonly byTag = new Map<string, Set<string>>();
  private readonly maxEntries: number;
  private generation = 0;
  private listener: Client | null = null;
  private current: Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  private nextSync: { promise: Promise<boolean>; resolve: (usable: boolean) => void } | null = null;
  private syncInFlight = false;
  private readonly probes = new Map<string, () => void>();
  private readonly counters = { hits: 0, misses: 0, bypassed: 0 };

  constructor(
    private readonly databaseUrl: string,
    private readonly sql: SqlPool,
    private readonly opts: InvalidatingCacheOptions,
  ) {
    this.log = new Logger(opts.name);
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  /**
   * The cached value for `key`, or what `load` reads (cached when that is safe). `load`
   * returns the value and the tags that must also evict it; `null` is not cached.
   */
  async get(key: string, load: () => Promise<{ value: V; tags?: string[] } | null>): Promise<V | null> {
    const usable = await this.sync();
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
    if (this.listener && generation === this.generation) this.put(key, loaded.value, loaded.tags ?? []);
    return loaded.value;
  }

  /** Resolves once every change committed before the call has been applied (false: bypassed). */
  fresh(): Promise<boolean> {
    return this.sync();
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  stats(): { hits: number; misses: number; bypassed: number; size: number } {
    return { ...this.counters, size: this.entries.size };
  }

  /** Starts listening now rather than on the first read. */
  start(): void {
    this.listen();
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.nextSync?.resolve(false);
    const client = this.current;
    this.current = null;
    this.drop();
    if (!client) return Promise.resolve();
    client.removeAllListeners('end');
    return client.end().catch(() => undefined);
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

  private sync(): Promise<boolean> {
    if (!this.listener) {
      this.listen();
      return Promise.resolve(false);
    }
    const waiting = this.nextSync;
    if (waiting) return waiting.promise;
    let resolve!: (usable: boolean) => void;
    const promise = new Promise<boolean>((r) => (resolve = r));
    this.nextSync = { promise, resolve };
    if (!this.syncInFlight) this.sendSync();
    return promise;
  }

  private sendSync(): void {
    const batch = this.nextSync;
    const client = this.listener;
    this.nextSync = null;
    if (!batch) return;
    if (!client) return batch.resolve(false);
    this.syncInFlight = true;
    client
      .query('SELECT 1')
      .then(
        () => batch.resolve(this.listener === client),
        (err: unknown) => {
          batch.resolve(false);
          this.lost(client, err);
        },
      )
      .finally(() => {
        this.syncInFlight = false;
        if (this.nextSync) this.sendSync();
      });
  }

  private onNotification(payload: string | undefined): void {
    if (payload?.startsWith('probe:')) {
      this.probes.get(payload)?.();
      return;
    }
    this.generation++;
    if (!payload || payload === '*') {
      this.entries.clear();
      this.byTag.clear();
      return;
    }
    for (const key of [...(this.byTag.get(payload) ?? [])]) this.evict(key);
  }

  private drop(): void {
    this.listener = null;
    this.generation++;
    this.entries.clear();
    this.byTag.clear();
  }

  private listen(): void {
    if (this.closed || this.current || this.retryTimer) return;
    // The first read opens the connection; its events (and their log lines) belong to no
    // request (docs/reliability.md#logs).
    runDetached(() => this.openListener());
  }

  private openListener(): void {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: `gatehouse-${this.opts.name}`,
      keepAlive: true,
      connectionTimeoutMillis: DB_TIMEOUTS.connectMs,
      query_timeout: SYNC_TIMEOUT_MS,
    });
    this.current = client;
    client.on('notification', (n) => {
      if (n.channel === this.opts.channel) this.onNotification(n.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client
      .connect()
      .then(() => client.query(`LISTEN ${this.opts.channel}`))
      .then(() => this.probe())
      .then(
        () => {
          if (this.current !== client) return;
          this.drop();
          this.listener = client;
          if (this.failures > 0) this.log.warn(`${this.opts.name}: listening again; the cache is in use again`);
          this.failures = 0;
        },
        (err: unknown) => this.lost(client, err),
      );
  }

  private probe(): Promise<void> {
    const payload = `probe:${randomUUID()}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.probes.delete(payload);
        reject(new Error('a notification sent from another connection did not arrive (a transaction-mode pooler?)'));
      }, PROBE_TIMEOUT_MS);
      timer.unref();
      this.probes.set(payload, () => {
        clearTimeout(timer);
        this.probes.delete(payload);
        resolve();
      });
      this.sql.query('SELECT pg_notify($1, $2)', [this.opts.channel, payload]).catch((err: unknown) => {
        clearTimeout(timer);
        this.probes.delete(payload);
        reject(err);
      });
    });
  }

  private lost(client: Client, err: unknown): void {
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.current !== client) return;
    this.current = null;
    const wasListening = this.listener === client;
    if (wasListening) this.drop();
    if (this.closed) return;
    runDetached(() => {
      if (wasListening || this.failures === 0) {
        this.log.warn(
          { err: (err as Error)?.message, error_code: errorCode(err), event: this.opts.lostEvent },
          `${this.opts.name}: LISTEN connection lost; reading ${this.opts.what} from the database until it is back`,
        );
      }
      const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
      this.failures++;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.listen();
      }, delay);
      this.retryTimer.unref();
    });
  }
}
