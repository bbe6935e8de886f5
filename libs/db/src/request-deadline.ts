import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The database deadline of the request being served (docs/reliability.md#every-request-answered-within-3-s):
 * an epoch-ms instant after which no wait on PostgreSQL made for it — a pooled connection, a
 * statement — may go on. Entered once per request (the HTTP layer's onRequest hook); work
 * outside a request (start-up, schedules, the CLI) has none and keeps the per-wait bounds of
 * DB_TIMEOUTS alone. Shared work that serves several requests (the audit log's group commit)
 * runs each batch under the earliest deadline of the requests waiting for it.
 */
const deadlines = new AsyncLocalStorage<{ deadline: number | null }>();

export function withDatabaseDeadline<T>(deadline: number | null, fn: () => T): T {
  return deadlines.run({ deadline }, fn);
}

/**
 * Starts the current request's database deadline afresh after CPU work of its own that is
 * not a wait on the database (generating an RSA key on demand: seconds at 4096 bits), so
 * that work does not eat the budget of the statements that follow it.
 */
export function restartDatabaseDeadline(budgetMs: number): void {
  const store = deadlines.getStore();
  if (store && store.deadline !== null) store.deadline = Date.now() + budgetMs;
}

/** The current request's deadline (epoch ms), or null outside a request. */
export function databaseDeadline(): number | null {
  return deadlines.getStore()?.deadline ?? null;
}

/** Milliseconds left before the current deadline (≤ 0 when past), or undefined without one. */
export function databaseTimeLeft(): number | undefined {
  const d = databaseDeadline();
  return d === null ? undefined : d - Date.now();
}

/** A wait refused because the request's database deadline has passed; answered 503 like an unreachable database. */
export class DatabaseDeadlineExceeded extends Error {
  constructor() {
    super('Database request deadline exceeded');
    this.name = 'DatabaseDeadlineExceeded';
  }
}
