import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { DatabaseDeadlineExceeded, databaseTimeLeft } from './request-deadline';

/**
 * Bounds on every wait for PostgreSQL (docs/reliability.md#postgresql-hung). A database that
 * is gone refuses connections at once; one that hangs (a stopped process, a network that
 * drops packets) would otherwise hold every request until it comes back. With these, no
 * request waits on PostgreSQL for more than about `connectMs` + `queryMs`, and the error
 * is answered 503 + Retry-After like an unreachable database (isDatabaseUnavailable).
 */
export const DB_TIMEOUTS = {
  /**
   * Everything a request waits for PostgreSQL, together: a request's pooled connections and
   * statements get at most what is left of this, counted from its arrival, so it is
   * answered (503 + Retry-After) within 3 s even when PostgreSQL hangs mid-request
   * (docs/reliability.md#every-request-answered-within-3-s).
   */
  requestMs: 2000,
  /** A free pooled connection, or a new connection's handshake. */
  connectMs: 2000,
  /** One statement, client side: the answer must have arrived by then. */
  queryMs: 5000,
  /** The same bound on the server, so a statement we gave up on does not run on. */
  statementMs: 5000,
  /** A transaction left open by a client that vanished is ended by the server. */
  idleInTransactionMs: 20000,
} as const;

export function boundedPoolConfig(connectionString: string, max: number): PoolConfig {
  return {
    connectionString,
    max,
    connectionTimeoutMillis: DB_TIMEOUTS.connectMs,
    query_timeout: DB_TIMEOUTS.queryMs,
    statement_timeout: DB_TIMEOUTS.statementMs,
    idle_in_transaction_session_timeout: DB_TIMEOUTS.idleInTransactionMs,
    keepAlive: true,
  };
}

/**
 * A pg Pool whose connections are destroyed when a statement times out. node-postgres
 * reports the timeout but keeps the connection waiting for the late answer, and a client
 * that goes back to the pool in that state (Prisma releases transaction connections
 * without an error) would queue the next request behind it, or — had a ROLLBACK been the
 * statement dropped — hand it an open transaction. A destroyed connection is never reused.
 *
 * Within a request, every wait is also cut to what is left of the request's database
 * deadline (request-deadline.ts): waiting for a pooled connection (`connect`, also inside
 * `query`) and each statement's read timeout. A statement asked for past the deadline is
 * not sent; on a connection, that connection is destroyed too, so a transaction it holds is
 * rolled back by the server and never handed on.
 */
export function boundedPool(connectionString: string, max: number): Pool {
  const pool = new Pool(boundedPoolConfig(connectionString, max));
  pool.on('error', () => undefined);
  pool.on('connect', (client) => destroyOnTimeout(client));
  boundWaits(pool);
  return pool;
}

type Callback = (err: unknown, ...rest: unknown[]) => void;
type Loose = (...args: unknown[]) => unknown;

function boundWaits(pool: Pool): void {
  const connect = pool.connect.bind(pool) as unknown as (cb: Callback) => void;
  const query = pool.query.bind(pool) as unknown as Loose;
  const bounded = (cb: Callback): void => {
    const left = databaseTimeLeft();
    if (left === undefined || left >= DB_TIMEOUTS.connectMs) return connect(cb);
    if (left <= 0) return process.nextTick(() => cb(new DatabaseDeadlineExceeded()));
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      cb(new Error('timeout exceeded when trying to connect'));
    }, left);
    connect((err, client, release) => {
      if (settled) {
        // Arrived after the request gave up: straight back to the pool.
        if (!err) (release as (e?: unknown) => void)();
        return;
      }
      settled = true;
      clearTimeout(timer);
      cb(err, client, release);
    });
  };
  (pool as unknown as { connect: Loose }).connect = (cb?: unknown) => {
    if (typeof cb === 'function') return bounded(cb as Callback);
    return new Promise((resolve, reject) => bounded((err, client) => (err ? reject(err) : resolve(client))));
  };
  (pool as unknown as { query: Loose }).query = (...args: unknown[]) => query(...withReadTimeout(args));
}

/**
 * The arguments of a `query` call with the statement's read timeout cut to the request's
 * deadline; a plain text becomes a config object so that it can carry one. Unchanged
 * outside a request, for a query object (a cursor), or when the caller set its own.
 */
function withReadTimeout(args: unknown[]): unknown[] {
  const left = databaseTimeLeft();
  const [first, second, ...rest] = args;
  if (left === undefined || first == null) return args;
  const timeout = Math.max(1, Math.min(DB_TIMEOUTS.queryMs, left));
  if (typeof first === 'string') {
    const values = Array.isArray(second) ? second : undefined;
    const tail = Array.isArray(second) ? rest : [second, ...rest];
    return [{ text: first, values, query_timeout: timeout }, ...tail.filter((x) => x !== undefined)];
  }
  if (typeof first !== 'object' || typeof (first as { submit?: unknown }).submit === 'function') return args;
  if ((first as { query_timeout?: unknown }).query_timeout !== undefined) return args;
  return [{ ...(first as object), query_timeout: timeout }, ...args.slice(1)];
}

function destroyOnTimeout(client: PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const kill = () =>
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...input: unknown[]) => {
    const left = databaseTimeLeft();
    const args = withReadTimeout(input);
    const last = args[args.length - 1];
    if (left !== undefined && left <= 0) {
      // Past the request's deadline: not sent, and the connection (perhaps inside a
      // transaction) is not handed on.
      kill();
      const err = new DatabaseDeadlineExceeded();
      if (typeof last === 'function') return void process.nextTick(() => (last as Callback)(err));
      return Promise.reject(err);
    }
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => {
        if (isReadTimeout(err)) kill();
        (last as (e: unknown, r: unknown) => void)(err, res);
      };
      return query(...args);
    }
    const result = query(...args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<unknown>).catch((err: unknown) => {
        if (isReadTimeout(err)) kill();
        throw err;
      });
    }
    return result;
  };
}

function isReadTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Query read timeout';
}
