import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { OutboxEvent } from '../../src/outbox/enqueue.ts';
import { anAuditEvent, enqueueInOneTransaction } from './outbox-events.ts';

/** Load for outage tests: commits small transactions at a steady pace until stopped. */
export type SteadyWriter = {
  /** Every event committed so far. */
  readonly committed: readonly OutboxEvent[];
  /** Stops after the transaction in progress; resolves with every committed event. */
  stop(): Promise<readonly OutboxEvent[]>;
};

/**
 * Commits `eventsPerTransaction` events (one chat each, chats reused at random from `chatCount`)
 * every `intervalMs` — load generation, paced by a timer on purpose; tests still wait for
 * outcomes with `eventually`. A failed transaction is a test failure (rejects `stop()`).
 */
export function startSteadyWriter(orm: MikroORM, options: { chatCount: number; eventsPerTransaction: number; intervalMs: number }): SteadyWriter {
  const chatIds = Array.from({ length: options.chatCount }, () => randomUUID());
  const committed: OutboxEvent[] = [];
  let isStopped = false;
  const running = (async () => {
    while (!isStopped) {
      const events = Array.from({ length: options.eventsPerTransaction }, () => anAuditEvent({ chatId: chatIds[Math.floor(Math.random() * chatIds.length)]! }))
        .sort((a, b) => a.chatId.localeCompare(b.chatId));
      await enqueueInOneTransaction(orm, events);
      committed.push(...events);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
  })();
  return {
    committed,
    async stop() {
      isStopped = true;
      await running;
      return committed;
    },
  };
}
