import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
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

/**
 * Waits for the chat row lock (`SELECT … FOR UPDATE`) and returns the owner's live chat as it is
 * now, or null (nothing locked) when it is missing, deleted or someone else's. Needs a transaction.
 * Lock order: chat before turn. Call it before loading relations: Postgres rejects `FOR UPDATE`
 * on the nullable side of an outer join.
 */
export async function lockChatForUpdate(em: EntityManager, owner: Owner, chatId: string): Promise<Chat | null> {
  return em.findOne(
    ChatSchema,
    { id: chatId, tenantId: owner.tenantId, userId: owner.userId, deletedAt: null },
    // refresh: a chat already in the identity map must reflect the row as it is once locked
    { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
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

/** Marks the chat deleted at `now` (it vanishes from every owner-scoped read) and flushes. */
export async function softDeleteChat(em: EntityManager, chat: Chat, now: Date): Promise<void> {
  chat.deletedAt = now;
  await em.flush();
}

/**
 * Locks a chat row by id within its tenant, deleted or not (`SELECT … FOR UPDATE`), for writers
 * that act on a turn already authorized earlier (finalization). Taking it before the turn row keeps
 * the one lock order — chat, then turn — that every transaction follows, so a finalization and a
 * Retry of the same chat cannot deadlock.
 */
export async function lockChatRow(em: EntityManager, scope: { tenantId: string; chatId: string }): Promise<void> {
  await em.findOne(ChatSchema, { id: scope.chatId, tenantId: scope.tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}
