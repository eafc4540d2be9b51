import type { MikroORM } from '@mikro-orm/postgresql';
import type { Chat } from '../db/entities/chat.entity.ts';
import { findChatForOwner } from '../db/repositories/chat.repository.ts';
import { chatNotFound } from '../domain/errors.ts';
import type { Requester } from './chat-commands.ts';

/** The caller's live chat; a missing, deleted or foreign chat is CHAT_NOT_FOUND alike. */
export async function getChat(orm: MikroORM, command: { requester: Requester; chatId: string }): Promise<Chat> {
  const chat = await findChatForOwner(orm.em.fork(), command.requester.owner, command.chatId);
  if (!chat) throw chatNotFound(command.chatId);
  return chat;
}
