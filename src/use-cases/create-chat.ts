import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { insertChat } from '../db/repositories/chat.repository.ts';
import type { Chat } from '../db/entities/chat.entity.ts';
import { runInTransaction } from '../db/transaction.ts';
import type { CatalogModel } from '../llm/model-catalog.ts';
import type { Requester } from './chat-commands.ts';

export type CreateChatCommand = { readonly requester: Requester; readonly title: string; readonly model: CatalogModel };

/** Creates an empty chat owned by the caller, on the given catalog model. */
export async function createChat(orm: MikroORM, command: CreateChatCommand): Promise<Chat> {
  return runInTransaction(orm.em, (em) =>
    insertChat(em, {
      id: randomUUID(),
      owner: command.requester.owner,
      title: command.title,
      model: command.model.id,
      now: new Date(),
    }),
  );
}
