import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { softDeleteMessagesOfRequest, softDeleteTurn } from '../db/repositories/turn-mutation.repository.ts';
import { runInTransaction } from '../db/transaction.ts';
import { outboxEventOf, turnDeleteEvent } from '../domain/audit-events.ts';
import { enqueue } from '../outbox/enqueue.ts';
import type { Requester } from './chat-commands.ts';
import { guardLatestTurn, type TurnAddress } from './guard-latest-turn.ts';

/**
 * Delete: soft-deletes the chat's latest finished turn and its messages and enqueues `turn_delete`,
 * in one transaction after the validation sequence. Nothing else changes.
 */
export async function deleteTurn(orm: MikroORM, command: { requester: Requester } & TurnAddress): Promise<void> {
  await runInTransaction(orm.em, async (tx) => {
    const { chat, target } = await guardLatestTurn(tx, command.requester, command);
    const now = new Date();
    await softDeleteTurn(tx, { tenantId: chat.tenantId, turnId: target.id, replacedByRequestId: null, now });
    await softDeleteMessagesOfRequest(tx, { tenantId: chat.tenantId, chatId: chat.id, requestId: target.requestId, now });
    const event = turnDeleteEvent({
      eventId: randomUUID(),
      occurredAt: now,
      chatId: chat.id,
      actor: command.requester.actor,
      turn: { turnId: target.id, requestId: target.requestId },
    });
    await enqueue(tx, outboxEventOf(event));
  });
}
