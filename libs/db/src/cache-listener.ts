import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { errorCode, runDetached } from '@gatehouse/core';
import { Client } from 'pg';
import { DB_TIMEOUTS } from './pool-options';
import { databaseTimeLeft } from './request-deadline';
import { DATABASE_URL } from './prisma.service';
import { SqlPool } from './sql-pool';

/** What an invalidating cache hands the listener: where its changes are announced, and what to do. */
export interface CacheSubscriber {
  /** For log lines: what the cache holds ("every client", "every org's state"). */
  readonly what: string;
  /** A committed change on the subscribed channel (`org:<id>`, `*`, …). */
  notify(payload: string | undefined): void;
  /** The listening connection was lost or replaced: anything cached may have missed a change. */
  reset(): void;
}

const RETRY_MS = [1_000, 2_000, 5_000];
/** The sync round trip on the listening connection; a hung server fails it, and the caches are bypassed. */
const SYNC_TIMEOUT_MS = DB_TIMEOUTS.connectMs;
/** How long a fresh listener waits for its probe notification before giving up (and retrying). */
const PROBE_TIMEOUT_MS = 3_000;
/** The probe's own channel, so that no cache sees it. */
export const CACHE_PROBE_CHANNEL = 'gatehouse_cache_probe';
/** Where every committed change to a cached table announces the invalidation epoch it took (migration 20261208223000_cache_epoch). */
export const CACHE_EPOCH_CHANNEL = 'gatehouse_cache_epoch';
/** The epoch as of a statement: every change committed before it has a number up to this. */
export const CACHE_EPOCH_QUERY = 'SELECT n::text AS n FROM cache_epoch WHERE id = 1';
/** The listening connection, found by this name in pg_stat_activity. */
export const CACHE_LISTENER_APPLICATION_NAME = 'gatehouse-cache-listener';
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
const TRUE = Promise.resolve(true);

/** `sync`'s answer, or false (bypass the caches) once the current request's database deadline passes. */
function withinDeadline(promise: Promise<boolean>): Promise<boolean> {
  const left = databaseTimeLeft();
  if (left === undefined) return promise;
  if (left <= 0) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), left);
    void promise.then((usable) => {
      clearTimeout(timer);
      resolve(usable);
    });
  });
}

/**
 * A scope's barrier: the listening connection on which one of its reads has synced. A
 * deferred scope does not sync before its reads: it records the epoch its first read was
 * served at (`epoch`, null before the first read or while it is unknown), and the issuer
 * confirms that epoch against the one its audit INSERT observed (docs/control.md#live).
 */
interface Scope {
  synced: Client | null;
  deferred: boolean;
  /** The listener's epoch when the scope's first read was served; -1: a read that could not be confirmed. */
  epoch: number | null;
}
const scopes = new AsyncLocalStorage<Scope>();

/**
 * The one LISTEN connection of a process, shared by every invalidating cache
 * (docs/control.md#live): one connection however many caches there are, and — what the
 * token endpoint pays for — one sync round trip per batch of concurrent requests, however
 * many caches each request reads. A client-credentials request reads the client cache and
 * the control layer's org cache; with one listener per cache it paid two round trips
 * (docs/performance.md#the-access-gate-on-versus-off).
 *
 * - `sync()` resolves once every notification committed before the call has been applied
 *   to every subscribed cache: PostgreSQL delivers a listener's pending notifications
 *   before the reply to its next statement, so one `SELECT 1` on this connection is the
 *   barrier. Calls that arrive while one is in flight share the next.
 * - While the connection is down, or before its probe has arrived, `sync()` answers false
 *   and every cache is bypassed; every (re)connection resets every cache.
 * - A new connection is trusted only once a notification sent from another connection (the
 *   pool) has reached it: behind a transaction-mode pooler LISTEN does not hold, the probe
 *   never arrives, and the caches stay bypassed.
 */
@Injectable()
export class CacheListener implements OnModuleDestroy {
  private readonly log = new Logger('cache-listener');
  private readonly channels = new Map<string, Set<CacheSubscriber>>();
  private listener: Client | null = null;
  private current: Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  private nextSync: { promise: Promise<boolean>; resolve: (usable: boolean) => void } | null = null;
  private syncInFlight = false;
  private readonly probes = new Map<string, () => void>();
  private syncs = 0;
  /** Work on the listening connection not finished yet: its opening (connect, LISTEN, probe, epoch) and sync round trips. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The highest invalidation epoch delivered on the current connection (null: not read yet). */
  private appliedEpoch: number | null = null;

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly sql: SqlPool,
  ) {}

  /**
   * Delivers `channel`'s notifications to `subscriber`. A channel first named while the
   * connection is up replaces the connection (which resets every cache): caches subscribe
   * as they are built, before the first read opens it, so that happens only in tests.
   */
  subscribe(channel: string, subscriber: CacheSubscriber): () => void {
    if (!CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
    let subscribers = this.channels.get(channel);
    if (!subscribers) {
      this.channels.set(channel, (subscribers = new Set()));
      if (this.current) this.replace();
    }
    subscribers.add(subscriber);
    return () => {
      subscribers.delete(subscriber);
    };
  }

  /**
   * Runs `fn` so that its cache reads share one sync: the first read waits for a round trip
   * sent after it began, and later reads on the same connection are served without another.
   * Every change committed before the scope began is still seen by every read in it; a
   * change committed while it runs may or may not be — as if the scope's reads had all
   * happened at its first. For request paths that read the caches before any change of
   * their own to what the caches hold (the token and introspection endpoints, the decision
   * API, the bearer guard): inside a scope, a read that follows the scope's own write to a
   * cached table could miss it until its notification arrives (docs/control.md#live).
   */
  shareSync<R>(fn: () => R): R {
    return scopes.getStore() ? fn() : scopes.run({ synced: null, deferred: false, epoch: null }, fn);
  }

  /**
   * Turns the current scope into a deferred one before its first read: its reads are served
   * from the caches as they are, without a round trip, and the scope remembers the epoch they
   * were served at. Only for a request whose every outcome is then either confirmed
   * (`confirm`, against the epoch its audit INSERT observed) or re-decided after a sync
   * (`resync`): the client-credentials grant (docs/control.md#live). False: no scope, or it
   * has read already.
   */
  defer(): boolean {
    const scope = scopes.getStore();
    if (!scope || scope.synced || scope.epoch !== null) return false;
    scope.deferred = true;
    return true;
  }

  /**
   * Whether every change committed before the epoch `observed` (read by an audit INSERT that
   * held it until commit) had been applied when the current deferred scope read the caches.
   * True for a scope that synced (or never read), which saw every change committed before it
   * began; a deferred scope needs its recorded epoch to be at least `observed`.
   */
  confirm(observed: number | null): boolean {
    const scope = scopes.getStore();
    if (!scope?.deferred || scope.synced) return true;
    if (scope.epoch === null) return true;
    return observed !== null && scope.epoch >= 0 && scope.epoch >= observed;
  }

  /**
   * In a deferred scope whose reads were served without a sync: syncs now, turns the scope
   * into a synced one (its later reads see every change committed before this call) and
   * answers true — the caller decides again what it decided from those reads. False when
   * there is nothing to redo (no deferred read).
   */
  async resync(): Promise<boolean> {
    const scope = scopes.getStore();
    if (!scope?.deferred || scope.synced || scope.epoch === null) return false;
    scope.deferred = false;
    scope.epoch = null;
    await this.sync();
    return true;
  }

  /** The last epoch this process has applied (null while unknown: not listening, or not read yet). */
  get epoch(): number | null {
    return this.listener ? this.appliedEpoch : null;
  }

  /** Resolves once every change committed before the call (or its scope) has been applied (false: bypass the caches). */
  sync(): Promise<boolean> {
    // Closing: no new round trip on a connection about to end; read from PostgreSQL directly.
    if (this.closed) return Promise.resolve(false);
    if (!this.listener) {
      this.listen();
      const scope = scopes.getStore();
      // Read from PostgreSQL directly, after the scope began: as fresh as a sync.
      if (scope?.deferred && scope.epoch === null) scope.deferred = false;
      return Promise.resolve(false);
    }
    const scope = scopes.getStore();
    if (scope?.synced && scope.synced === this.listener) return TRUE;
    if (scope?.deferred) {
      scope.epoch ??= this.appliedEpoch ?? -1;
      return TRUE;
    }
    let promise = this.nextSync?.promise;
    if (!promise) {
      let resolve!: (usable: boolean) => void;
      promise = new Promise<boolean>((r) => (resolve = r));
      this.nextSync = { promise, resolve };
      if (!this.syncInFlight) this.sendSync();
    }
    // A request waits no longer than its database deadline: past it, it bypasses the caches
    // (and its next database wait fails at once: 503; docs/reliability.md#every-request-answered-within-3-s).
    promise = withinDeadline(promise);
    if (!scope) return promise;
    return promise.then((usable) => {
      if (usable) scope.synced = this.listener;
      return usable;
    });
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /** Sync round trips sent so far (tests check that concurrent reads share them). */
  get roundTrips(): number {
    return this.syncs;
  }

  /** Starts listening now rather than on the first read. */
  start(): void {
    this.listen();
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  /**
   * Stops listening. A connection being opened and a sync round trip in flight (the cache
   * sync after a change) are let finish first, within the sync's own timeout, so that
   * closing never leaves a connection opening, or its probe's pool connecting, against a
   * database that may be gone by then (docs/reliability.md#sigterm).
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.nextSync?.resolve(false);
    this.nextSync = null;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((r) => (timer = setTimeout(r, SYNC_TIMEOUT_MS + PROBE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
    }
    const client = this.current;
    this.current = null;
    this.drop();
    if (!client) return;
    client.removeAllListeners('end');
    await client.end().catch(() => undefined);
  }

  /** Keeps `work` in `inFlight` until it settles (close waits for it). */
  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const done = () => this.inFlight.delete(work);
    work.then(done, done);
    return work;
  }

  private sendSync(): void {
    const batch = this.nextSync;
    const client = this.listener;
    this.nextSync = null;
    if (!batch) return;
    if (!client) return batch.resolve(false);
    this.syncInFlight = true;
    this.syncs++;
    this.track(client.query<{ n: string }>(CACHE_EPOCH_QUERY))
      .then(
        (r) => {
          // Every notification committed before this statement has been delivered (and applied) by now.
          if (this.listener === client) this.applyEpoch(r.rows[0]?.n);
          batch.resolve(this.listener === client);
        },
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

  private applyEpoch(value: string | undefined): void {
    const n = Number(value);
    if (Number.isSafeInteger(n) && (this.appliedEpoch === null || n > this.appliedEpoch)) this.appliedEpoch = n;
  }

  private onNotification(channel: string, payload: string | undefined): void {
    if (channel === CACHE_PROBE_CHANNEL) {
      if (payload) this.probes.get(payload)?.();
      return;
    }
    if (channel === CACHE_EPOCH_CHANNEL) {
      // After the transaction's own invalidations: they were queued first, at its statements.
      this.applyEpoch(payload);
      return;
    }
    for (const subscriber of this.channels.get(channel) ?? []) subscriber.notify(payload);
  }

  private drop(): void {
    this.listener = null;
    this.appliedEpoch = null;
    for (const subscribers of this.channels.values()) for (const s of subscribers) s.reset();
  }

  private listen(): void {
    if (this.closed || this.current || this.retryTimer) return;
    // The first read opens the connection; its events (and their log lines) belong to no
    // request (docs/reliability.md#logs).
    runDetached(() => this.openListener());
  }

  /** A new connection for a changed set of channels; not a failure, so nothing is logged. */
  private replace(): void {
    const client = this.current;
    this.current = null;
    this.drop();
    if (client) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
    }
    this.listen();
  }

  private openListener(): void {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: CACHE_LISTENER_APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: DB_TIMEOUTS.connectMs,
      query_timeout: SYNC_TIMEOUT_MS,
    });
    this.current = client;
    client.on('notification', (n) => {
      if (this.listener === client || n.channel === CACHE_PROBE_CHANNEL) this.onNotification(n.channel, n.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    const statements = [...this.channels.keys(), CACHE_PROBE_CHANNEL, CACHE_EPOCH_CHANNEL]
      .map((c) => `LISTEN ${c};`)
      .join(' ');
    const opening = client
      .connect()
      .then(() => client.query(statements))
      .then(() => this.probe())
      // Listening already: a change committed after this read announces a higher epoch.
      .then(() => client.query<{ n: string }>(CACHE_EPOCH_QUERY).catch(() => ({ rows: [] as { n: string }[] })))
      .then(
        (r) => {
          if (this.current !== client) return;
          this.drop();
          this.listener = client;
          this.applyEpoch(r.rows[0]?.n);
          if (this.failures > 0)
            this.log.warn({ event: 'cache_listen_resumed' }, 'listening again; the caches are in use again');
          this.failures = 0;
        },
        (err: unknown) => this.lost(client, err),
      );
    void this.track(opening);
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
      this.sql.query('SELECT pg_notify($1, $2)', [CACHE_PROBE_CHANNEL, payload]).catch((err: unknown) => {
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
        const what = [...new Set([...this.channels.values()].flatMap((s) => [...s].map((c) => c.what)))];
        this.log.warn(
          { err: (err as Error)?.message, error_code: errorCode(err), event: 'cache_listen_lost' },
          `LISTEN connection lost; reading ${what.join(' and ') || 'everything'} from the database until it is back`,
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
