import type { MikroORM } from '@mikro-orm/postgresql';
import type { Chat } from '../db/entities/chat.entity.ts';
import { listChatsForOwner } from '../db/repositories/chat.repository.ts';
import { invalidArgument } from '../domain/errors.ts';
import { decodePageToken, encodePageToken } from '../domain/page-token.ts';
import type { Requester } from './chat-commands.ts';

export type ListChatsCommand = { readonly requester: Requester; readonly pageSize: number; readonly pageToken: string };

/** One page of the caller's live chats, most recently updated first, with the next page's token. */
export async function listChats(orm: MikroORM, command: ListChatsCommand): Promise<{ chats: Chat[]; nextPageToken: string }> {
  const { owner } = command.requester;
  const binding = `chats:${owner.tenantId}:${owner.userId}`;
  const after = command.pageToken === '' ? undefined : decodePageToken(binding, command.pageToken);
  if (command.pageToken !== '' && !after) {
    throw invalidArgument([{ field: 'page_token', description: 'is not a page token this service issued for this list' }]);
  }
  // One row more than asked tells whether another page exists without a count query.
  const rows = await listChatsForOwner(orm.em.fork(), owner, {
    limit: command.pageSize + 1,
    after: after && { updatedAt: after.time, id: after.id },
  });
  const chats = rows.slice(0, command.pageSize);
  const last = chats.at(-1);
  const nextPageToken = rows.length > command.pageSize && last ? encodePageToken(binding, { time: last.updatedAt, id: last.id }) : '';
  return { chats, nextPageToken };
}
