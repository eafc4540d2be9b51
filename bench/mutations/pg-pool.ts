import pg from 'pg';
import { LOCK_TIMEOUT } from '../../src/db/orm.ts';

/**
 * A `pg` pool for seeding and the baseline, with the service's lock timeout on every connection; an
 * idle client cut by the server is reported, not a crash.
 */
export function openPgPool(databaseUrl: string, max: number, report: (message: string) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, options: `-c lock_timeout=${LOCK_TIMEOUT}` });
  pool.on('error', (error) => report(`pg pool: ${error.message}`));
  return pool;
}

/**
 * `pool.end()` resolves once it has asked its clients to disconnect, not once they have; stopping
 * the database right after would cut them mid-goodbye. This waits for every one of them.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  const open = pool.totalCount;
  let removed = 0;
  const allRemoved = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      removed += 1;
      if (removed === open) resolve();
    });
  });
  await pool.end();
  await allRemoved;
}
