import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { AttachmentSchema } from '../entities/attachment.entity.ts';
import { MessageAttachmentSchema } from '../entities/message-attachment.entity.ts';
import { type Message, MessageSchema } from '../entities/message.entity.ts';
import { type Turn, TurnSchema } from '../entities/turn.entity.ts';

/** Statements of Retry, Edit and Delete: the latest-turn lock and the soft deletes they make. */

/**
 * Locks the chat's latest live turn — greatest `(started_at, id)` among non-deleted turns — with
 * `SELECT … FOR UPDATE`. Lock order: chat row first, then this turn.
 */
export async function lockLatestLiveTurn(em: EntityManager, scope: { tenantId: string; chatId: string }): Promise<Turn | null> {
  return em.findOne(
    TurnSchema,
    { tenantId: scope.tenantId, chatId: scope.chatId, deletedAt: null },
    { orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
}

/** Soft-deletes a turn; `replacedByRequestId` names the Retry/Edit turn that replaces it (NULL for Delete). */
export async function softDeleteTurn(
  em: EntityManager,
  change: { tenantId: string; turnId: string; replacedByRequestId: string | null; now: Date },
): Promise<void> {
  await em.nativeUpdate(
    TurnSchema,
    { id: change.turnId, tenantId: change.tenantId, deletedAt: null },
    { deletedAt: change.now, updatedAt: change.now, replacedByRequestId: change.replacedByRequestId },
  );
}

/** Soft-deletes the live messages (user and assistant) of one request in a chat. */
export async function softDeleteMessagesOfRequest(em: EntityManager, scope: { tenantId: string; chatId: string; requestId: string; now: Date }): Promise<void> {
  await em.nativeUpdate(
    MessageSchema,
    { tenantId: scope.tenantId, chatId: scope.chatId, requestId: scope.requestId, deletedAt: null },
    { deletedAt: scope.now },
  );
}

/** The live user message of a request, which Retry resends and Edit replaces. */
export async function findLiveUserMessage(em: EntityManager, scope: { tenantId: string; chatId: string; requestId: string }): Promise<Message | null> {
  return em.findOne(MessageSchema, { tenantId: scope.tenantId, chatId: scope.chatId, requestId: scope.requestId, role: 'user', deletedAt: null });
}

/** The attachment ids linked to a message whose attachments are still live, in link order. */
export async function findLiveLinkedAttachmentIds(em: EntityManager, scope: { tenantId: string; messageId: string }): Promise<string[]> {
  const links = await em.find(MessageAttachmentSchema, { tenantId: scope.tenantId, messageId: scope.messageId }, { orderBy: [{ createdAt: 'asc' }, { attachmentId: 'asc' }] });
  if (links.length === 0) return [];
  const live = await em.find(AttachmentSchema, { id: { $in: links.map((link) => link.attachmentId) }, tenantId: scope.tenantId, deletedAt: null }, { fields: ['id'] });
  const liveIds = new Set(live.map((attachment) => attachment.id));
  return links.map((link) => link.attachmentId).filter((id) => liveIds.has(id));
}
