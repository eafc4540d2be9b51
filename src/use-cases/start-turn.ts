import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { isUniqueViolation } from '../db/database-errors.ts';
import { messageConstraints } from '../db/entities/message.entity.ts';
import { turnConstraints } from '../db/entities/turn.entity.ts';
import { findLinkableAttachmentIds } from '../db/repositories/attachment.repository.ts';
import { lockChatForUpdate } from '../db/repositories/chat.repository.ts';
import { findTurnSummaryByRequestId, hasRunningTurn } from '../db/repositories/turn.repository.ts';
import { runInTransaction } from '../db/transaction.ts';
import { TurnError, chatNotFound } from '../domain/errors.ts';
import type { CatalogModel } from '../llm/model-catalog.ts';
import { inSpan } from '../telemetry/spans.ts';
import type { Requester } from './chat-commands.ts';
import { openTurn } from './open-turn.ts';
import type { StartedTurn } from './started-turn.ts';

export type StartTurnCommand = {
  readonly requester: Requester;
  readonly chatId: string;
  readonly requestId: string;
  readonly content: string;
  readonly attachmentIds: readonly string[];
  readonly webSearch: boolean;
  readonly model: CatalogModel;
};

/**
 * Generate's unit of work (turns.md step 4): with the chat row locked, refuse a second running
 * turn, take the snapshot boundary, insert the user message and its attachment links, insert the
 * running turn and bump the chat. All or nothing: a failure leaves no turn, message or link.
 * Traced as the `turn.preflight` span.
 */
export async function startTurn(orm: MikroORM, command: StartTurnCommand): Promise<StartedTurn> {
  return inSpan('turn.preflight', { 'minichat.turn.kind': 'generate' }, async () => {
    try {
      return await runInTransaction(orm.em, (tx) => startTurnInTransaction(tx, command));
    } catch (error) {
      throw translateRace(error, command);
    }
  });
}

async function startTurnInTransaction(tx: EntityManager, command: StartTurnCommand): Promise<StartedTurn> {
  const { owner } = command.requester;
  const scope = { tenantId: owner.tenantId, chatId: command.chatId };
  const chat = await lockChatForUpdate(tx, owner, command.chatId);
  if (!chat) throw chatNotFound(command.chatId);
  // Checked again under the lock: a concurrent Generate with the same request id may have committed.
  if (await findTurnSummaryByRequestId(tx, { ...scope, requestId: command.requestId })) throw requestIdConflict(command);
  if (await hasRunningTurn(tx, scope)) throw generationInProgress(command);

  const linkable = await findLinkableAttachmentIds(tx, { ...scope, uploadedBy: owner.userId }, command.attachmentIds);
  const violations = command.attachmentIds.flatMap((id, index) =>
    linkable.has(id) ? [] : [{ field: `attachment_ids[${index}]`, description: 'is not a live attachment of this chat uploaded by you' }],
  );
  if (violations.length > 0) {
    throw new TurnError('INVALID_ATTACHMENT', 'unknown, deleted or foreign attachment', { fieldViolations: violations, metadata: { chat_id: command.chatId } });
  }

  return openTurn(tx, command);
}

export function generationInProgress(command: { chatId: string }): TurnError {
  return new TurnError('GENERATION_IN_PROGRESS', 'a turn is already running in this chat', { metadata: { chat_id: command.chatId } });
}

export function requestIdConflict(command: { chatId: string; requestId: string }): TurnError {
  return new TurnError('REQUEST_ID_CONFLICT', 'this request id was already used in this chat', {
    metadata: { chat_id: command.chatId, request_id: command.requestId },
  });
}

/** A unique-index violation from a concurrent request is an expected outcome, never INTERNAL. */
export function translateRace(error: unknown, command: { chatId: string; requestId: string }): unknown {
  if (isUniqueViolation(error, turnConstraints.oneRunningPerChat)) return generationInProgress(command);
  if (isUniqueViolation(error, turnConstraints.requestIdPerChat)) return requestIdConflict(command);
  if (isUniqueViolation(error, messageConstraints.oneLivePerRole)) return requestIdConflict(command);
  return error;
}

