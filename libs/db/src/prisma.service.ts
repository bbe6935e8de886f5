import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, Prisma } from './generated/prisma/client';
import { boundedPool } from './pool-options';

export const DATABASE_URL = Symbol('gatehouse.database-url');

/** Prisma's client inside an interactive transaction. */
export type Tx = Prisma.TransactionClient;

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    // docs/reliability.md#postgresql-hung: every wait on the database is bounded.
    super({ adapter: new PrismaPg(boundedPool(databaseUrl, 10), { disposeExternalPool: true }) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }

  /**
   * Runs `fn` in one transaction: a change and its audit row commit together or not at
   * all. Hooks registered with `beforeCommit(tx, …)` run after `fn`, still inside the
   * transaction, in registration order; if one fails the whole transaction rolls back.
   * Hooks registered with `afterCommit(tx, …)` run once it has committed (never after a
   * rollback), before this returns.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const after: Hook[] = [];
    const result = await this.$transaction(
      async (tx) => {
        const before: Hook[] = [];
        hooks.set(tx, { before, after });
        const value = await fn(tx);
        for (const hook of before) await hook();
        hooks.delete(tx);
        return value;
      },
      { maxWait: 5000, timeout: 15000 },
    );
    for (const hook of after) await hook();
    return result;
  }
}

type Hook = () => Promise<void>;
const hooks = new WeakMap<Tx, { before: Hook[]; after: Hook[] }>();

/**
 * Whether `db` is a transaction opened by PrismaService.transaction. (Prisma 7's transaction
 * client is a proxy that also answers `$transaction`, so its shape cannot tell.)
 */
export function isOpenTransaction(db: unknown): db is Tx {
  return typeof db === 'object' && db !== null && hooks.has(db as Tx);
}

function hooksOf(tx: Tx): { before: Hook[]; after: Hook[] } {
  const h = hooks.get(tx);
  if (!h) throw new Error('commit hooks need a transaction opened by PrismaService.transaction');
  return h;
}

/**
 * Runs `hook` at the end of a `PrismaService.transaction`, just before it commits. The
 * audit log uses it to write a transaction's rows last (see AuditService.record).
 */
export function beforeCommit(tx: Tx, hook: Hook): void {
  hooksOf(tx).before.push(hook);
}

/** Runs `hook` once the transaction has committed: for side effects outside Postgres. */
export function afterCommit(tx: Tx, hook: Hook): void {
  hooksOf(tx).after.push(hook);
}

/** True when `err` means Postgres could not be reached (answered as 503, not 500). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const o = e as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
    if (
      typeof o.code === 'string' &&
      // P2028: a transaction could not start in time; 57014: statement timeout (a hung or
      // overloaded server); the rest: connection refused, lost or shutting down.
      [
        'P1001',
        'P1002',
        'P1017',
        'P2024',
        'P2028',
        'ECONNREFUSED',
        'ECONNRESET',
        'ETIMEDOUT',
        'EPIPE',
        '57P01',
        '57P02',
        '57P03',
        '57014',
      ].includes(o.code)
    ) {
      return true;
    }
    if (o.name === 'PrismaClientInitializationError' || o.name === 'DatabaseDeadlineExceeded') return true;
    if (
      typeof o.message === 'string' &&
      /ECONNREFUSED|Connection terminated|connect ETIMEDOUT|Can't reach database|Query read timeout|Database circuit open|timeout exceeded when trying to connect|Database request deadline exceeded|Unable to start a transaction in the given time|Client has encountered a connection error/i.test(
        o.message,
      )
    ) {
      return true;
    }
    e = o.cause;
  }
  return false;
}

/** True for a unique-constraint violation (Prisma P2002 or Postgres 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const o = err as { code?: unknown; cause?: { code?: unknown; originalCode?: unknown } };
  return o?.code === 'P2002' || o?.cause?.code === '23505' || o?.cause?.originalCode === '23505';
}
