import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * How long a statement waits for a row lock before failing. Locks are held for milliseconds
 * (never across a model stream), so a longer wait means something is stuck: fail instead of
 * piling up requests behind it.
 */
const LOCK_TIMEOUT = '5s';

/**
 * Runs `fn` in one database transaction on a fresh fork of `em` (its own identity map) and
 * returns its result. Everything `fn` does through `tx` commits together after `fn` resolves
 * (pending entity changes are flushed first), or rolls back if it throws. Every lock wait in it
 * gives up after 5 s (`lock_timeout`, SQLSTATE 55P03).
 */
export async function runInTransaction<T>(em: EntityManager, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  return em.fork().transactional(async (tx) => {
    await tx.execute(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
    return fn(tx);
  });
}
