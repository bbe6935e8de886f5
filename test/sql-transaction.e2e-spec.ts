import { createTestDatabase, SqlPool, type TestDatabase } from '@gatehouse/db';

/**
 * SqlPool.transaction (libs/db/src/sql-pool.ts), which the refresh grant and token exchange
 * commit through: all of it or none of it, hooks in their place, a connection never handed
 * back with a transaction open.
 */
describe('SqlPool.transaction', () => {
  let db: TestDatabase;
  let sql: SqlPool;
  const count = async () => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM t'))[0].n;

  beforeAll(async () => {
    db = await createTestDatabase(process.env.GATEHOUSE_TEST_PG_URL!);
    sql = new SqlPool(db.url);
    await sql.query('CREATE TABLE t (id int PRIMARY KEY)');
  });
  afterAll(async () => {
    await sql.onModuleDestroy();
    await db.drop();
  });

  it('commits the statements and the before-commit hooks together, then runs the after-commit hooks', async () => {
    const order: string[] = [];
    const value = await sql.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      tx.beforeCommit(async () => {
        order.push('before');
        await tx.query('INSERT INTO t VALUES (2)');
      });
      tx.afterCommit(async () => {
        order.push(`after:${await count()}`);
      });
      // Not visible outside before the commit.
      expect(await count()).toBe(0);
      return 'done';
    });
    expect(value).toBe('done');
    expect(order).toEqual(['before', 'after:2']);
  });

  it('rolls everything back when the body or a before-commit hook fails, and runs no after-commit hook', async () => {
    const after = jest.fn();
    await expect(
      sql.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (3)');
        tx.afterCommit(async () => after());
        await tx.query('INSERT INTO t VALUES (1)'); // duplicate key
      }),
    ).rejects.toThrow(/duplicate key/);
    await expect(
      sql.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (4)');
        tx.beforeCommit(async () => {
          throw new Error('hook failed');
        });
      }),
    ).rejects.toThrow('hook failed');
    expect(after).not.toHaveBeenCalled();
    expect(await count()).toBe(2);
    // Every pooled connection is usable and outside a transaction: in one, now() is the
    // transaction's start, not this statement's.
    const fresh = await Promise.all(
      Array.from({ length: 5 }, () =>
        sql.query<{ fresh: boolean }>('SELECT pg_sleep(0.01), now() = statement_timestamp() AS fresh'),
      ),
    );
    expect(fresh.map((r) => r[0].fresh)).toEqual([true, true, true, true, true]);
  });

  it('refuses statements once the transaction has ended', async () => {
    let kept: Parameters<Parameters<SqlPool['transaction']>[0]>[0] | undefined;
    await sql.transaction(async (tx) => {
      kept = tx;
    });
    await expect(kept!.query('SELECT 1')).rejects.toThrow('the transaction has ended');
  });
});
