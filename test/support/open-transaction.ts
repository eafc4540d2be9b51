import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { runInTransaction } from '../../src/db/transaction.ts';

/** A transaction a test holds open across steps, to commit when it decides. */
export type OpenTransaction = {
  /** Runs `fn` inside the transaction. */
  run<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T>;
  commit(): Promise<void>;
};

/**
 * Starts a transaction that stays open until `commit()`, so a test can interleave it with others
 * (take an id first, commit last). Each `run` executes in the same transaction, one at a time.
 */
export async function openTransaction(orm: MikroORM): Promise<OpenTransaction> {
  let allowCommit!: () => void;
  const mayCommit = new Promise<void>((resolve) => (allowCommit = resolve));
  let opened!: (tx: EntityManager) => void;
  const isOpen = new Promise<EntityManager>((resolve) => (opened = resolve));
  const committed = runInTransaction(orm.em, async (tx) => {
    opened(tx);
    await mayCommit;
  });
  const tx = await Promise.race([isOpen, committed.then(() => Promise.reject(new Error('the transaction ended before it opened')))]);
  return {
    run: (fn) => fn(tx),
    async commit() {
      allowCommit();
      await committed;
    },
  };
}
