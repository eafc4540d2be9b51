import type { EntityManager } from '@mikro-orm/postgresql';
import { type LockedChat, lockChatForUpdate } from '../db/repositories/chat.repository.ts';
import { lockLatestLiveTurn } from '../db/repositories/turn-mutation.repository.ts';
import { findTurnSummaryByRequestId, type TurnSummary } from '../db/repositories/turn.repository.ts';
import { TurnError, chatNotFound } from '../domain/errors.ts';
import type { Requester } from './chat-commands.ts';

export type TurnAddress = { readonly chatId: string; readonly requestId: string };

/**
 * The validation sequence of Retry, Edit and Delete (turns.md), in this order, inside the caller's
 * transaction: the chat under the owner scope (locked, so mutations and Generates of one chat
 * serialize) → the target turn by request id, deleted rows included → ownership → terminal state →
 * the latest live turn, locked, must be the target. Each step answers its own reason.
 */
export async function guardLatestTurn(tx: EntityManager, requester: Requester, address: TurnAddress): Promise<{ chat: LockedChat; target: TurnSummary }> {
  const { owner } = requester;
  const metadata = { chat_id: address.chatId, request_id: address.requestId };
  const chat = await lockChatForUpdate(tx, owner, address.chatId);
  if (!chat) throw chatNotFound(address.chatId);
  const target = await findTurnSummaryByRequestId(tx, { tenantId: owner.tenantId, chatId: chat.id, requestId: address.requestId });
  if (!target) throw new TurnError('TURN_NOT_FOUND', `no turn with request id ${address.requestId} in this chat`, { metadata });
  if (target.requesterUserId !== owner.userId) throw new TurnError('FORBIDDEN', 'the turn belongs to another requester', { metadata });
  if (target.state === 'running') throw new TurnError('INVALID_TURN_STATE', 'the turn is still running', { metadata });
  const latest = await lockLatestLiveTurn(tx, { tenantId: owner.tenantId, chatId: chat.id });
  if (latest?.id !== target.id) throw new TurnError('NOT_LATEST_TURN', 'only the latest live turn of the chat can be changed', { metadata });
  return { chat, target };
}
