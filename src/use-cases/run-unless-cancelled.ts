import type { EntityManager } from '@mikro-orm/postgresql';
import { runInTransaction } from '../db/transaction.ts';

/**
 * A turn-opening unit of work for a call that may be cancelled while it runs, e.g. while it waits
 * for the chat's lock: nothing starts for a call already cancelled, and one cancelled before the
 * commit rolls back, so the client's cancel leaves nothing written (api.md rule 3) and its request
 * id free to send again. Only a cancel between the commit and `started` still leaves a turn, which
 * the stream then ends as cancelled. Throws the signal's reason.
 */
export async function runUnlessCancelled<T>(em: EntityManager, callSignal: AbortSignal, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  callSignal.throwIfAborted();
  return runInTransaction(em, async (tx) => {
    const result = await fn(tx);
    callSignal.throwIfAborted();
    return result;
  });
}
