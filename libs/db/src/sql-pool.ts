import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool, type QueryResultRow } from 'pg';
import { boundedPool } from './pool-options';
import { DATABASE_URL } from './prisma.service';

/**
 * Plain node-postgres for the few statements on the token endpoint's hot path.
 * Prisma 7's client adds about 5–8 ms to every query on this machine (measured:
 * `SELECT 1` 7.8 ms through Prisma, 0.9 ms through the same pg pool), which alone would
 * cap the endpoint far below the signing rate. Everything else goes through Prisma.
 */
@Injectable()
export class SqlPool implements OnModuleDestroy {
  private readonly pool: Pool;

  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    // docs/reliability.md#postgresql-hung: every wait on the database is bounded.
    this.pool = boundedPool(databaseUrl, 20);
  }

  async query<R extends QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, params)).rows;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}
