import type { EntityManager } from '@mikro-orm/postgresql';
import { type Chat, ChatSchema } from '../entities/chat.entity.ts';
import type { Owner } from './owner.ts';

/** A position in the owner's chat list: the last chat of the previous page. */
export type ChatListCursor = { readonly updatedAt: Date; readonly id: string };

/** Inserts a new empty chat (created and updated at `now`) and flushes it. */
export async function insertChat(
  em: EntityManager,
  chat: { id: string; owner: Owner; title: string; model: string; now: Date },
): Promise<Chat> {
  const created = em.create(ChatSchema, {
    id: chat.id,
    tenantId: chat.owner.tenantId,
    userId: chat.owner.userId,
    title: chat.title,
    model: chat.model,
    createdAt: chat.now,
    updatedAt: chat.now,
    deletedAt: null,
  });
  await em.flush();
  return created;
}

/** The owner's live chat with this id, or null when it is missing, deleted or someone else's. */
export async function findChatForOwner(em: EntityManager, owner: Owner, chatId: string): Promise<Chat | null> {
  return em.findOne(ChatSchema, { id: chatId, tenantId: owner.tenantId, userId: owner.userId, deletedAt: null });
}

/** What the turn paths need of a chat: its ids and its model. */
export type LockedChat = { readonly id: string; readonly tenantId: string; readonly model: string };

/**
 * Waits for the chat row lock (`SELECT … FOR UPDATE`) and returns the owner's live chat as it is
 * now, or null (nothing locked) when it is missing, deleted or someone else's. Needs a transaction.
 * Lock order: chat before turn. Call it before loading relations: Postgres rejects `FOR UPDATE`
 * on the nullable side of an outer join. One raw statement, read as committed once locked; nothing
 * enters the identity map.
 */
export async function lockChatForUpdate(em: EntityManager, owner: Owner, chatId: string): Promise<LockedChat | null> {
  const rows = await em.execute<LockedChat[]>(
    `select id, tenant_id as "tenantId", model from chats
      where id = ? and tenant_id = ? and user_id = ? and deleted_at is null
      limit 1 for update`,
    [chatId, owner.tenantId, owner.userId],
  );
  return rows[0] ?? null;
}

/**
 * One page of the owner's live chats, most recently updated first (ties: greater id first),
 * starting strictly after `after` when given. Stable under concurrent inserts: keyset, not offset.
 */
export async function listChatsForOwner(
  em: EntityManager,
  owner: Owner,
  page: { limit: number; after?: ChatListCursor },
): Promise<Chat[]> {
  const { after } = page;
  return em.find(
    ChatSchema,
    {
      tenantId: owner.tenantId,
      userId: owner.userId,
      deletedAt: null,
      ...(after && {
        $or: [{ updatedAt: { $lt: after.updatedAt } }, { updatedAt: after.updatedAt, id: { $lt: after.id } }],
      }),
    },
    { orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }], limit: page.limit },
  );
}

/** Marks the chat deleted at `now` (it vanishes from every owner-scoped read). */
export async function softDeleteChat(em: EntityManager, chat: { id: string; tenantId: string }, now: Date): Promise<void> {
  await em.nativeUpdate(ChatSchema, { id: chat.id, tenantId: chat.tenantId }, { deletedAt: now });
}
