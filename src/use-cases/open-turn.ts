import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { linkAttachments } from '../db/repositories/attachment.repository.ts';
import { findNewestLiveMessageCursor, insertMessage } from '../db/repositories/message.repository.ts';
import { bumpChatUpdatedAt, insertRunningTurn } from '../db/repositories/turn.repository.ts';
import type { CatalogModel } from '../llm/model-catalog.ts';
import type { Requester } from './chat-commands.ts';
import type { StartedTurn } from './started-turn.ts';

export type OpenTurnInput = {
  readonly requester: Requester;
  readonly chatId: string;
  readonly requestId: string;
  readonly content: string;
  /** Already checked to be live attachments of this chat and caller. */
  readonly attachmentIds: readonly string[];
  readonly webSearch: boolean;
  readonly model: CatalogModel;
  readonly replacesRequestId?: string;
};

/**
 * The common end of Generate's and Retry/Edit's unit of work, inside the caller's transaction with
 * the chat locked: takes the snapshot boundary, inserts the user message and its attachment links,
 * inserts the running turn and bumps the chat. Returns what the stream needs after commit.
 */
export async function openTurn(tx: EntityManager, input: OpenTurnInput): Promise<StartedTurn> {
  const { owner, actor } = input.requester;
  const scope = { tenantId: owner.tenantId, chatId: input.chatId };
  const boundary = await findNewestLiveMessageCursor(tx, scope);
  const now = new Date();
  const turn: StartedTurn = {
    turnId: randomUUID(),
    tenantId: owner.tenantId,
    chatId: input.chatId,
    requestId: input.requestId,
    assistantMessageId: randomUUID(),
    userMessageId: randomUUID(),
    content: input.content,
    model: input.model,
    boundary,
    startedAt: now,
    actor,
    ...(input.replacesRequestId ? { replacesRequestId: input.replacesRequestId } : {}),
  };
  await insertMessage(tx, {
    id: turn.userMessageId,
    ...scope,
    requestId: turn.requestId,
    role: 'user',
    content: input.content,
    model: null,
    inputTokens: null,
    outputTokens: null,
    isPartial: false,
    createdAt: now,
  });
  await linkAttachments(tx, { ...scope, messageId: turn.userMessageId, attachmentIds: input.attachmentIds, now });
  await insertRunningTurn(tx, {
    id: turn.turnId,
    ...scope,
    requestId: turn.requestId,
    requesterType: actor.requesterType,
    requesterUserId: owner.userId,
    effectiveModel: input.model.id,
    webSearchEnabled: input.webSearch,
    now,
  });
  await bumpChatUpdatedAt(tx, scope, now);
  return turn;
}
