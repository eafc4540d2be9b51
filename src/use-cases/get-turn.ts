import type { MikroORM } from '@mikro-orm/postgresql';
import type { Turn } from '../db/entities/turn.entity.ts';
import { findChatForOwner } from '../db/repositories/chat.repository.ts';
import { findTurnByRequestId } from '../db/repositories/turn.repository.ts';
import { TurnError, chatNotFound } from '../domain/errors.ts';
import type { Requester } from './chat-commands.ts';

/**
 * A turn of the caller's chat by request id, deleted and replaced turns included, so a client that
 * lost its connection can learn what happened.
 */
export async function getTurn(orm: MikroORM, command: { requester: Requester; chatId: string; requestId: string }): Promise<Turn> {
  const em = orm.em.fork();
  const chat = await findChatForOwner(em, command.requester.owner, command.chatId);
  if (!chat) throw chatNotFound(command.chatId);
  const turn = await findTurnByRequestId(em, { tenantId: chat.tenantId, chatId: chat.id, requestId: command.requestId });
  if (!turn) {
    throw new TurnError('TURN_NOT_FOUND', `no turn with request id ${command.requestId} in this chat`, {
      metadata: { chat_id: command.chatId, request_id: command.requestId },
    });
  }
  return turn;
}
