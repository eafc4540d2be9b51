import type { MikroORM } from '@mikro-orm/postgresql';
import type { ModelCatalog } from '../../src/llm/model-catalog.ts';
import type { Requester } from '../../src/use-cases/chat-commands.ts';
import { deleteTurn } from '../../src/use-cases/delete-turn.ts';
import { replaceTurn } from '../../src/use-cases/replace-turn.ts';
import type { Mutation } from './run-callers.ts';
import type { SeededChat } from './seed-chats.ts';

/** The chat's owner as the use cases see the caller. */
export function requesterOf(chat: SeededChat): Requester {
  return {
    owner: { tenantId: chat.tenantId, userId: chat.userId },
    actor: { tenantId: chat.tenantId, userId: chat.userId, requesterType: 'user' },
  };
}

/**
 * The real use cases: `deleteTurn`, and Retry's unit of work `replaceTurn` (its transaction only;
 * the model answer that would stream after commit is not part of the measurement).
 */
/** The bench's calls are never cancelled. */
const neverCancelled = new AbortController().signal;

export function ormMutations(orm: MikroORM, catalog: ModelCatalog): { delete: Mutation; retry: Mutation } {
  return {
    delete: (chat) => deleteTurn(orm, { requester: requesterOf(chat), chatId: chat.chatId, requestId: chat.requestId }),
    retry: (chat) => replaceTurn({ orm, catalog }, { requester: requesterOf(chat), chatId: chat.chatId, requestId: chat.requestId, kind: 'retry' }, neverCancelled),
  };
}
