import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { openTurnUnlessRefused, type TurnOpeningRefusal } from '../db/repositories/turn-opening.repository.ts';
import type { CatalogModel } from '../llm/model-catalog.ts';
import type { Requester } from './chat-commands.ts';
import type { StartedTurn } from './started-turn.ts';

export type OpenTurnInput = {
  readonly requester: Requester;
  readonly chatId: string;
  readonly requestId: string;
  readonly content: string;
  /** Linked in this order; each must be a live attachment of this chat uploaded by the requester. */
  readonly attachmentIds: readonly string[];
  readonly webSearch: boolean;
  readonly model: CatalogModel;
  readonly replacesRequestId?: string;
};

/** The turn opened, or why not (nothing was written). */
export type OpenTurnResult = { readonly isOpened: true; readonly turn: StartedTurn } | TurnOpeningRefusal;

/**
 * The common end of Generate's and Retry/Edit's unit of work, inside the caller's transaction with
 * the chat locked, as one statement: unless the request id is already used in the chat, a turn is
 * running or an attachment may not be linked, takes the snapshot boundary, inserts the user message
 * and its attachment links, inserts the running turn and bumps the chat. Returns what the stream
 * needs after commit, or the refusal.
 */
export async function openTurn(tx: EntityManager, input: OpenTurnInput): Promise<OpenTurnResult> {
  const { owner, actor } = input.requester;
  const now = new Date();
  const ids = { turnId: randomUUID(), userMessageId: randomUUID(), assistantMessageId: randomUUID() };
  const opened = await openTurnUnlessRefused(tx, {
    tenantId: owner.tenantId,
    chatId: input.chatId,
    requestId: input.requestId,
    turnId: ids.turnId,
    userMessageId: ids.userMessageId,
    content: input.content,
    attachmentIds: input.attachmentIds,
    requesterType: actor.requesterType,
    requesterUserId: owner.userId,
    effectiveModel: input.model.id,
    webSearchEnabled: input.webSearch,
    now,
  });
  if (!opened.isOpened) return opened;
  const turn: StartedTurn = {
    ...ids,
    tenantId: owner.tenantId,
    chatId: input.chatId,
    requestId: input.requestId,
    content: input.content,
    hasAttachments: input.attachmentIds.length > 0,
    model: input.model,
    boundary: opened.boundary,
    startedAt: now,
    actor,
    ...(input.replacesRequestId ? { replacesRequestId: input.replacesRequestId } : {}),
  };
  return { isOpened: true, turn };
}
