import { Pool, type PoolClient, type PoolConfig } from 'pg';

/**
 * Bounds on every wait for PostgreSQL (docs/reliability.md#postgresql-hung). A database that
 * is gone refuses connections at once; one that hangs (a stopped process, a network that
 * drops packets) would otherwise hold every request until it comes back. With these, no
 * request waits on PostgreSQL for more than about `connectMs` + `queryMs`, and the error
 * is answered 503 + Retry-After like an unreachable database (isDatabaseUnavailable).
 */
export const DB_TIMEOUTS = {
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
 */
export function boundedPool(connectionString: string, max: number): Pool {
  const pool = new Pool(boundedPoolConfig(connectionString, max));
  pool.on('error', () => undefined);
  pool.on('connect', (client) => destroyOnTimeout(client));
  return pool;
}

function destroyOnTimeout(client: PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const kill = () =>
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args[args.length - 1];
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
