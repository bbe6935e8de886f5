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

/** A scope's barrier: the listening connection on which one of its reads has synced. */
const scopes = new AsyncLocalStorage<{ synced: Client | null }>();

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
    return scopes.getStore() ? fn() : scopes.run({ synced: null }, fn);
  }

  /** Resolves once every change committed before the call (or its scope) has been applied (false: bypass the caches). */
  sync(): Promise<boolean> {
    if (!this.listener) {
      this.listen();
      return Promise.resolve(false);
    }
    const scope = scopes.getStore();
    if (scope?.synced && scope.synced === this.listener) return TRUE;
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

  close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.nextSync?.resolve(false);
    this.nextSync = null;
    const client = this.current;
    this.current = null;
    this.drop();
    if (!client) return Promise.resolve();
    client.removeAllListeners('end');
    return client.end().catch(() => undefined);
  }

  private sendSync(): void {
    const batch = this.nextSync;
    const client = this.listener;
    this.nextSync = null;
    if (!batch) return;
    if (!client) return batch.resolve(false);
    this.syncInFlight = true;
    this.syncs++;
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

  private onNotification(channel: string, payload: string | undefined): void {
    if (channel === CACHE_PROBE_CHANNEL) {
      if (payload) this.probes.get(payload)?.();
      return;
    }
    for (const subscriber of this.channels.get(channel) ?? []) subscriber.notify(payload);
  }

  private drop(): void {
    this.listener = null;
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
    const statements = [...this.channels.keys(), CACHE_PROBE_CHANNEL].map((c) => `LISTEN ${c};`).join(' ');
    client
      .connect()
      .then(() => client.query(statements))
      .then(() => this.probe())
      .then(
        () => {
          if (this.current !== client) return;
          this.drop();
          this.listener = client;
          if (this.failures > 0)
            this.log.warn({ event: 'cache_listen_resumed' }, 'listening again; the caches are in use again');
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
