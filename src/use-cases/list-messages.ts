import type { MikroORM } from '@mikro-orm/postgresql';
import { findChatForOwner } from '../db/repositories/chat.repository.ts';
import { listLiveMessages } from '../db/repositories/message.repository.ts';
import { chatNotFound, invalidArgument } from '../domain/errors.ts';
import { decodePageToken, encodePageToken } from '../domain/page-token.ts';
import type { Requester } from './chat-commands.ts';

export type ListMessagesCommand = {
  readonly requester: Requester;
  readonly chatId: string;
  readonly pageSize: number;
  readonly pageToken: string;
};

export type ListedMessage = Awaited<ReturnType<typeof listLiveMessages>>[number];

/** One page of a chat's live messages, oldest first, for the chat's owner only. */
export async function listMessages(orm: MikroORM, command: ListMessagesCommand): Promise<{ messages: ListedMessage[]; nextPageToken: string }> {
  const binding = `messages:${command.chatId}`;
  const after = command.pageToken === '' ? undefined : decodePageToken(binding, command.pageToken);
  if (command.pageToken !== '' && !after) {
    throw invalidArgument([{ field: 'page_token', description: 'is not a page token this service issued for this list' }]);
  }
  const em = orm.em.fork();
  const chat = await findChatForOwner(em, command.requester.owner, command.chatId);
  if (!chat) throw chatNotFound(command.chatId);
  const rows = await listLiveMessages(em, {
    chatId: chat.id,
    tenantId: chat.tenantId,
    limit: command.pageSize + 1,
    after: after && { createdAt: after.time, id: after.id },
  });
  const messages = rows.slice(0, command.pageSize);
  const last = messages.at(-1);
  const nextPageToken = rows.length > command.pageSize && last ? encodePageToken(binding, { time: last.createdAt, id: last.id }) : '';
  return { messages, nextPageToken };
}
