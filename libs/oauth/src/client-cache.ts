import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { errorCode, runDetached } from '@gatehouse/core';
import { DATABASE_URL, DB_TIMEOUTS, SqlPool } from '@gatehouse/db';
import { Client } from 'pg';

/** The channel the triggers of migration 20261123070000_client_cache_notify notify on. */
export const CLIENT_CACHE_CHANNEL = 'gatehouse_client_cache';

/** Everything the token endpoint needs to know about a client, as one read returns it. */
export interface ClientRecord {
  id: string;
  orgId: string;
  orgName: string;
  scopes: string[];
  audiences: string[];
  tokenTtlS: number;
  grantTypes: string[];
  /** Apps that may exchange this app's tokens (their `may_act`). */
  delegates: string[];
  stepTokenTtlS: number;
  tokenRateLimit: { requests: number; perSeconds: number };
  disabled: boolean;
  /** Live (unrevoked) secrets; expiry is checked at use time, against the clock. */
  secrets: { hash: string; expiresAtMs: number | null }[];
}

const MAX_ENTRIES = 10_000;
const RETRY_MS = [1_000, 2_000, 5_000];
/** The sync round trip on the listening connection; a hung server fails it, and the cache is bypassed. */
const SYNC_TIMEOUT_MS = 5_000;
/** How long a fresh listener waits for its probe notification before giving up (and retrying). */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * The token endpoint's client lookup, cached per instance and kept exact across instances.
 *
 * - Invalidation: triggers on organizations, applications and application_secrets NOTIFY
 *   every change at commit, whoever makes it (this instance, another one, SQL by hand);
 *   each instance LISTENs on one dedicated connection and drops what changed.
 * - No stale read, ever: before a request may use the cache, a round trip on that same
 *   connection is made, and PostgreSQL delivers a listener's pending notifications before
 *   the reply to its next statement. So every change committed before the request arrived
 *   has been applied to the cache when it is read. One round trip serves every request
 *   that arrived while the previous one was in flight (like a group commit), so under load
 *   it costs a fraction of a query per request instead of the lookup itself.
 * - A lookup that raced a notification is not cached: a generation counter, bumped by every
 *   notification and every (re)connection, must be unchanged between the read and the put.
 * - While the listening connection is down the cache is empty and bypassed — every request
 *   reads the database — until it has reconnected and subscribed again.
 * - A new listener is trusted only once a notification sent from another connection (the
 *   pool) has reached it. Behind a transaction-mode pooler (PgBouncer `pool_mode=transaction`)
 *   LISTEN does not hold, the probe never arrives, and the cache stays bypassed.
 */
@Injectable()
export class ClientCache implements OnModuleDestroy {
  private readonly log = new Logger('ClientCache');
  private readonly entries = new Map<string, ClientRecord>();
  private generation = 0;
  /** Set only while LISTEN is in force on it. */
  private listener: Client | null = null;
  /** The connection being opened, or the listening one. */
  private current: Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  /** The sync round trip that requests arriving now will wait for (not sent yet). */
  private nextSync: { promise: Promise<boolean>; resolve: (usable: boolean) => void } | null = null;
  private syncInFlight = false;
  /** Probe payloads sent and not yet heard back, with what to do when they arrive. */
  private readonly probes = new Map<string, () => void>();
  private readonly counters = { hits: 0, misses: 0, bypassed: 0 };

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly sql: SqlPool,
  ) {}

  /** The cached record for `clientId`, or what `load` reads (cached when that is safe). */
  async get(clientId: string, load: (clientId: string) => Promise<ClientRecord | null>): Promise<ClientRecord | null> {
    const usable = await this.sync();
    if (usable) {
      const hit = this.entries.get(clientId);
      if (hit) {
        this.counters.hits++;
        return hit;
      }
      this.counters.misses++;
    } else {
      this.counters.bypassed++;
    }
    const generation = this.generation;
    const record = await load(clientId);
    // Unknown clients are not cached: their ids are whatever a caller makes up.
    if (record && this.listener && generation === this.generation) this.put(record);
    return record;
  }

  /** Whether the cache is in use (LISTEN in force); tests and readiness can look. */
  get listening(): boolean {
    return this.listener !== null;
  }

  stats(): { hits: number; misses: number; bypassed: number; size: number } {
    return { ...this.counters, size: this.entries.size };
  }

  onModuleDestroy(): Promise<void> {
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

  private put(record: ClientRecord): void {
    if (this.entries.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order: the oldest entry goes first.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    // Every request shares the cached record: freeze it, so a caller that mutated it would
    // fail loudly instead of changing what the next request sees.
    for (const list of [record.scopes, record.audiences, record.grantTypes, record.secrets]) Object.freeze(list);
    this.entries.set(record.id, Object.freeze(record));
  }

  /** Resolves true once every change committed before the call is applied to the cache. */
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
      // Another instance's probe, or this one's: no data changed.
      this.probes.get(payload)?.();
      return;
    }
    this.generation++;
    if (payload?.startsWith('app:')) {
      this.entries.delete(payload.slice(4));
    } else if (payload?.startsWith('org:')) {
      const orgId = payload.slice(4);
      for (const [id, r] of this.entries) if (r.orgId === orgId) this.entries.delete(id);
    } else {
      this.entries.clear();
    }
  }

  /** Forgets everything, and makes every read in flight uncacheable. */
  private drop(): void {
    this.listener = null;
    this.generation++;
    this.entries.clear();
  }

  private listen(): void {
    if (this.closed || this.current || this.retryTimer) return;
    // The first token request opens the connection; its events (and their log lines) belong
    // to no request (docs/reliability.md#logs).
    runDetached(() => this.openListener());
  }

  private openListener(): void {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'gatehouse-client-cache',
      keepAlive: true,
      connectionTimeoutMillis: DB_TIMEOUTS.connectMs,
      query_timeout: SYNC_TIMEOUT_MS,
    });
    this.current = client;
    client.on('notification', (n) => {
      if (n.channel === CLIENT_CACHE_CHANNEL) this.onNotification(n.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client
      .connect()
      .then(() => client.query(`LISTEN ${CLIENT_CACHE_CHANNEL}`))
      .then(() => this.probe())
      .then(
        () => {
          if (this.current !== client) return;
          // Whatever changed while nobody listened is unknown: start empty.
          this.drop();
          this.listener = client;
          if (this.failures > 0) this.log.warn('client cache: listening again; the cache is in use again');
          this.failures = 0;
        },
        (err: unknown) => this.lost(client, err),
      );
  }

  /** Resolves once a notification sent through the pool arrives on the listening connection. */
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
      this.sql.query('SELECT pg_notify($1, $2)', [CLIENT_CACHE_CHANNEL, payload]).catch((err: unknown) => {
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
          { err: (err as Error)?.message, error_code: errorCode(err), event: 'client_cache_listen_lost' },
          'client cache: LISTEN connection lost; reading every client from the database until it is back',
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
