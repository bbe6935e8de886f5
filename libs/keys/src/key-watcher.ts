import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { errorCode, runDetached } from '@gatehouse/core';
import { DATABASE_URL, DB_TIMEOUTS, SqlPool, type Tx } from '@gatehouse/db';
import { Client } from 'pg';
import { SigningKeyService } from './signing-key.service';

/** Channels of migration 20261201120000_key_change_notify. */
export const KEY_CHANNEL = 'gatehouse_keys';
export const KEY_ACK_CHANNEL = 'gatehouse_keys_ack';
/** The listening connections, found by this name in pg_stat_activity. */
const APPLICATION_NAME = 'gatehouse-keys';
/** How long a key change waits for every listener to confirm it has reloaded. */
export const KEY_ACK_TIMEOUT_MS = 3_000;
const RETRY_MS = [500, 1_000, 2_000, 5_000];
/** Acks are kept this long, so one that arrives before its waiter is not lost. */
const ACK_MEMORY_MS = 30_000;

/**
 * Key changes reach every worker and instance at once (docs/reliability.md#key-changes),
 * the client cache's LISTEN/NOTIFY discipline applied to signing keys:
 * - every statement that changes `signing_keys` notifies `gatehouse_keys` at commit with
 *   its transaction id (a trigger, so the CLI and SQL by hand notify too);
 * - each process LISTENs on one dedicated connection, reloads its keys on a notification,
 *   and acknowledges `<txid>:<backend pid>` on `gatehouse_keys_ack`;
 * - the process that made a change waits, after its commit and before it answers, until
 *   every listening connection (pg_stat_activity, by application_name) has acknowledged
 *   (bounded by KEY_ACK_TIMEOUT_MS; a listener that does not answer is logged). So once
 *   `POST /v1/keys/{kid}/revoke` has answered, no listening worker anywhere signs with the
 *   key or accepts its tokens, and after a rotation every worker signs with the new key;
 * - a (re)connected listener reloads at once (changes it missed); the 30 s reload stays as
 *   the backstop for a process whose listener is down.
 */
@Injectable()
export class KeyWatcher implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('SigningKeys');
  private client: Client | null = null;
  private listening = false;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** txid → backend pids that acknowledged it, and when it was first seen. */
  private readonly acks = new Map<string, { pids: Set<number>; at: number; waiters: (() => void)[] }>();

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly sql: SqlPool,
    private readonly keys: SigningKeyService,
  ) {}

  async onModuleInit(): Promise<void> {
    await runDetached(() => this.connect());
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }

  /** The id the trigger will notify with for this transaction's key changes. */
  async changeId(tx: Tx): Promise<string> {
    const [row] = await tx.$queryRaw<{ txid: string }[]>`SELECT txid_current()::text AS txid`;
    return row!.txid;
  }

  /**
   * After the commit of change `txid`: resolves once every listening process has reloaded,
   * or after KEY_ACK_TIMEOUT_MS. Never throws: the change is committed either way.
   */
  async propagated(txid: string): Promise<void> {
    try {
      const rows = await this.sql.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
        [APPLICATION_NAME],
      );
      const listeners = rows.map((r) => r.pid);
      const entry = this.entry(txid);
      const missing = () => listeners.filter((p) => !entry.pids.has(p));
      if (missing().length > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, KEY_ACK_TIMEOUT_MS);
          const check = () => {
            if (missing().length === 0) {
              clearTimeout(timer);
              resolve();
            } else entry.waiters.push(check);
          };
          check();
        });
      }
      const late = missing();
      if (late.length > 0) {
        this.log.warn(
          { event: 'key_change_unacknowledged', txid, listeners: listeners.length, unacknowledged: late.length },
          'some processes did not confirm a key change in time; they pick it up on their next reload',
        );
      }
    } catch (err) {
      this.log.warn({ event: 'key_change_unacknowledged', error_code: errorCode(err) }, 'could not await key change');
    }
  }

  private entry(txid: string) {
    let e = this.acks.get(txid);
    if (!e) {
      e = { pids: new Set(), at: Date.now(), waiters: [] };
      this.acks.set(txid, e);
      for (const [k, v] of this.acks) if (Date.now() - v.at > ACK_MEMORY_MS) this.acks.delete(k);
    }
    return e;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: DB_TIMEOUTS.connectMs,
      query_timeout: DB_TIMEOUTS.queryMs,
    });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === KEY_CHANNEL) void this.onChange(client, n.payload ?? '');
      else if (n.channel === KEY_ACK_CHANNEL) this.onAck(n.payload ?? '');
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${KEY_CHANNEL}`);
      await client.query(`LISTEN ${KEY_ACK_CHANNEL}`);
      if (this.client !== client) return;
      this.listening = true;
      // Whatever changed while nobody listened: read it now.
      await this.keys.reload();
      if (this.failures > 0) this.log.log({ event: 'key_watch_resumed' }, 'listening for key changes again');
      this.failures = 0;
    } catch (err) {
      this.lost(client, err);
    }
  }

  private async onChange(client: Client, txid: string): Promise<void> {
    try {
      await this.keys.reload();
      await client.query(`SELECT pg_notify($1, $2 || ':' || pg_backend_pid())`, [KEY_ACK_CHANNEL, txid]);
    } catch (err) {
      this.log.warn({ error_code: errorCode(err) }, 'reloading keys after a change failed; the next reload retries');
    }
  }

  private onAck(payload: string): void {
    const i = payload.lastIndexOf(':');
    if (i < 0) return;
    const e = this.entry(payload.slice(0, i));
    e.pids.add(Number(payload.slice(i + 1)));
    const waiters = e.waiters.splice(0);
    for (const w of waiters) w();
  }

  private lost(client: Client, err: unknown): void {
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.client !== client) return;
    this.client = null;
    const was = this.listening;
    this.listening = false;
    if (this.closed) return;
    if (was || this.failures === 0) {
      this.log.warn(
        { event: 'key_watch_lost', error_code: errorCode(err) },
        'key-change listener lost: key changes reach this process by the 30 s reload until it is back',
      );
    }
    const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
    this.failures++;
    this.retryTimer = runDetached(() =>
      setTimeout(() => {
        this.retryTimer = null;
        void runDetached(() => this.connect());
      }, delay),
    );
    this.retryTimer.unref();
  }
}
