import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs `fn` in one database transaction on a fresh fork of `em` (its own identity map) and
 * returns its result. Everything `fn` does through `tx` commits together after `fn` resolves
 * (pending entity changes are flushed first), or rolls back if it throws. Every lock wait in it
 * gives up after 5 s (`lock_timeout`, SQLSTATE 55P03), as on every connection of the ORM
 * (`createOrmOptions`).
 */
export async function runInTransaction<T>(em: EntityManager, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  return em.fork().transactional(fn);
}
