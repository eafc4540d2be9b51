import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { lockChatForUpdate, softDeleteChat } from '../db/repositories/chat.repository.ts';
import { runInTransaction } from '../db/transaction.ts';
import { chatDeletedEvent } from '../domain/audit-events.ts';
import { chatNotFound } from '../domain/errors.ts';
import { enqueue } from '../outbox/enqueue.ts';
import type { Requester } from './chat-commands.ts';

/**
 * Soft-deletes the caller's chat and writes `chat_deleted` to the outbox in the same transaction:
 * the chat and its turns disappear from every read, and the audit event exists iff the delete
 * committed.
 */
export async function deleteChat(orm: MikroORM, command: { requester: Requester; chatId: string }): Promise<void> {
  await runInTransaction(orm.em, async (em) => {
    const chat = await lockChatForUpdate(em, command.requester.owner, command.chatId);
    if (!chat) throw chatNotFound(command.chatId);
    const now = new Date();
    await softDeleteChat(em, chat, now);
    const event = chatDeletedEvent({ eventId: randomUUID(), occurredAt: now, chatId: chat.id, actor: command.requester.actor });
    await enqueue(em, {
      eventId: event.event_id,
      eventType: event.event_type,
      tenantId: event.tenant_id,
      chatId: event.chat_id,
      traceId: event.trace_id,
      payload: event,
    });
  });
}
