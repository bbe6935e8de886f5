import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool, type PoolClient, type QueryConfig, type QueryResultRow } from 'pg';
import { boundedPool } from './pool-options';
import { DATABASE_URL } from './prisma.service';

/**
 * Plain node-postgres for the few statements on the token endpoint's hot path.
 * Prisma 7's client adds about 5–8 ms to every query on this machine (measured:
 * `SELECT 1` 7.8 ms through Prisma, 0.9 ms through the same pg pool), which alone would
 * cap the endpoint far below the signing rate. The refresh grant and token exchange commit
 * through `transaction` below for the same reason (docs/performance.md#the-refresh-grant).
 * Everything else goes through Prisma.
 */
@Injectable()
export class SqlPool implements OnModuleDestroy {
  private readonly pool: Pool;

  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    // docs/reliability.md#postgresql-hung: every wait on the database is bounded.
    this.pool = boundedPool(databaseUrl, 20);
  }

  /**
   * `name` makes it a prepared statement: parsed and planned once per connection, then only
   * bound and executed (docs/performance.md#prepared-statements). Only for a fixed `text`:
   * node-postgres keeps every name a connection has prepared.
   */
  async query<R extends QueryResultRow>(text: string, params: unknown[] = [], name?: string): Promise<R[]> {
    return (await this.pool.query<R>(statement(text, params, name))).rows;
  }

  /**
   * Runs `fn` in one transaction on one pooled connection: BEGIN, `fn`, the before-commit
   * hooks, COMMIT — or ROLLBACK on any error, which is rethrown. After-commit hooks run once
   * it has committed. The rotate-and-issue of the refresh grant runs here rather than in a
   * Prisma interactive transaction (docs/performance.md#the-refresh-grant).
   */
  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new SqlTransaction(client);
    let broken: unknown;
    let value: T;
    try {
      await client.query('BEGIN');
      value = await fn(tx);
      for (const hook of tx.before) await hook();
      await client.query('COMMIT');
    } catch (err) {
      // A connection whose ROLLBACK fails is not given back to the pool.
      await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
      throw err;
    } finally {
      tx.closed = true;
      client.release(broken instanceof Error ? broken : broken !== undefined);
    }
    for (const hook of tx.after) await hook();
    return value;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}

function statement(text: string, values: unknown[], name: string | undefined): QueryConfig {
  return name ? { name, text, values } : { text, values };
}

type Hook = () => Promise<void>;

/** An open transaction of SqlPool.transaction: its statements, and hooks around its commit. */
export class SqlTransaction {
  readonly before: Hook[] = [];
  readonly after: Hook[] = [];
  closed = false;

  constructor(private readonly client: PoolClient) {}

  /** As SqlPool.query, on this transaction's connection. */
  async query<R extends QueryResultRow>(text: string, params: unknown[] = [], name?: string): Promise<R[]> {
    if (this.closed) throw new Error('the transaction has ended');
    return (await this.client.query<R>(statement(text, params, name))).rows;
  }

  /** Runs `hook` just before COMMIT, inside the transaction; if it fails, everything rolls back. */
  beforeCommit(hook: Hook): void {
    this.before.push(hook);
  }

  /** Runs `hook` once the transaction has committed (never after a rollback). */
  afterCommit(hook: Hook): void {
    this.after.push(hook);
  }
}
