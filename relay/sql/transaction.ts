import type pg from 'pg';

/**
 * Runs `fn` in one transaction on a connection of `pool`: commits when it resolves, rolls back
 * when it throws. For the relay's few multi-statement steps (settling a batch with failures).
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
