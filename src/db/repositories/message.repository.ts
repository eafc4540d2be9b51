import type { EntityManager } from '@mikro-orm/postgresql';
import { AttachmentSchema } from '../entities/attachment.entity.ts';
import { MessageAttachmentSchema } from '../entities/message-attachment.entity.ts';
import { type Message, MessageSchema } from '../entities/message.entity.ts';

/** A position in a chat's message list: the last message of the previous page. */
export type MessageListCursor = { readonly createdAt: Date; readonly id: string };

/** A message with the ids of its live attachments, in the order they were linked. */
export type MessageWithAttachments = Message & { attachmentIds: string[] };

/**
 * One page of the chat's live messages in chat order, oldest first by `(created_at, id)`,
 * starting strictly after `after` when given. Each carries the ids of its attachments that are
 * not deleted. Does not check ownership: load the chat under the owner scope first.
 */
export async function listLiveMessages(
  em: EntityManager,
  page: { chatId: string; tenantId: string; limit: number; after?: MessageListCursor },
): Promise<MessageWithAttachments[]> {
  const { after } = page;
  const messages = await em.find(
    MessageSchema,
    {
      chatId: page.chatId,
      tenantId: page.tenantId,
      deletedAt: null,
      ...(after && {
        $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, id: { $gt: after.id } }],
      }),
    },
    { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], limit: page.limit },
  );
  const attachmentIds = await findLiveAttachmentIds(em, messages.map((message) => message.id));
  return messages.map((message) => ({ ...message, attachmentIds: attachmentIds.get(message.id) ?? [] }));
}

async function findLiveAttachmentIds(em: EntityManager, messageIds: string[]): Promise<Map<string, string[]>> {
  const byMessage = new Map<string, string[]>();
  if (messageIds.length === 0) return byMessage;
  const links = await em.find(
    MessageAttachmentSchema,
    { messageId: { $in: messageIds } },
    { orderBy: [{ createdAt: 'asc' }, { attachmentId: 'asc' }] },
  );
  const linkedIds = [...new Set(links.map((link) => link.attachmentId))];
  // `content` is lazy: this reads metadata only
  const live = await em.find(AttachmentSchema, { id: { $in: linkedIds }, deletedAt: null });
  const liveIds = new Set(live.map((attachment) => attachment.id));
  for (const link of links) {
    if (!liveIds.has(link.attachmentId)) continue;
    byMessage.set(link.messageId, [...(byMessage.get(link.messageId) ?? []), link.attachmentId]);
  }
  return byMessage;
}

/**
 * The chat's live messages at or before `boundary` (inclusive), newest first, at most `limit`:
 * a turn's history as of its snapshot, whatever was added to the chat after it.
 */
export async function listHistoryNewestFirst(
  em: EntityManager,
  query: { tenantId: string; chatId: string; boundary: MessageListCursor; limit: number },
): Promise<Message[]> {
  const { boundary } = query;
  return em.find(
    MessageSchema,
    {
      chatId: query.chatId,
      tenantId: query.tenantId,
      deletedAt: null,
      $or: [{ createdAt: { $lt: boundary.createdAt } }, { createdAt: boundary.createdAt, id: { $lte: boundary.id } }],
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: query.limit },
  );
}

/** The message with this id in the tenant, deleted or not; null when there is none. */
export async function findMessageById(em: EntityManager, scope: { tenantId: string; messageId: string }): Promise<Message | null> {
  return em.findOne(MessageSchema, { id: scope.messageId, tenantId: scope.tenantId });
}
