import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { isUniqueViolation } from '../db/database-errors.ts';
import { messageConstraints } from '../db/entities/message.entity.ts';
import { turnConstraints } from '../db/entities/turn.entity.ts';
import { lockChatForUpdate } from '../db/repositories/chat.repository.ts';
import { findTurnSummaryByRequestId } from '../db/repositories/turn.repository.ts';
import type { TurnOpeningRefusal } from '../db/repositories/turn-opening.repository.ts';
import { TurnError, chatNotFound, modelUnavailable } from '../domain/errors.ts';
import type { ModelCatalog } from '../llm/model-catalog.ts';
import { inSpan } from '../telemetry/spans.ts';
import type { Requester } from './chat-commands.ts';
import { openTurn } from './open-turn.ts';
import { runUnlessCancelled } from './run-unless-cancelled.ts';
import type { StartedTurn } from './started-turn.ts';

export type StartTurnCommand = {
  readonly requester: Requester;
  readonly chatId: string;
  readonly requestId: string;
  readonly content: string;
  readonly attachmentIds: readonly string[];
  readonly webSearch: boolean;
};

/** The turn started, or the chat already has a turn with this request id (nothing was written). */
export type StartTurnResult = { readonly isStarted: true; readonly turn: StartedTurn } | { readonly isStarted: false };

/** Thrown inside the transaction to roll it back when the request id turns out to be taken. */
class RequestIdTaken extends Error {}

/**
 * Generate's unit of work (turns.md step 4): locks the owner's chat row, resolves its model, and
 * unless the request id is already used in the chat opens the turn — refusing a second running
 * turn and attachments that are not the caller's live ones in this chat — with its user message,
 * attachment links and the chat's bump. All or nothing: a failure leaves no turn, message or link.
 * A used request id is answered `{ isStarted: false }` for the caller to replay or refuse. A call
 * cancelled before the commit writes nothing (`runUnlessCancelled`). Traced as the `turn.preflight` span.
 */
export async function startTurn(deps: { orm: MikroORM; catalog: ModelCatalog }, command: StartTurnCommand, callSignal: AbortSignal): Promise<StartTurnResult> {
  return inSpan('turn.preflight', { 'minichat.turn.kind': 'generate' }, async () => {
    try {
      const turn = await runUnlessCancelled(deps.orm.em, callSignal, (tx) => startTurnInTransaction(tx, deps.catalog, command));
      return { isStarted: true, turn };
    } catch (error) {
      if (error instanceof RequestIdTaken) return { isStarted: false };
      throw translateRace(error, command);
    }
  });
}

async function startTurnInTransaction(tx: EntityManager, catalog: ModelCatalog, command: StartTurnCommand): Promise<StartedTurn> {
  const chat = await lockChatForUpdate(tx, command.requester.owner, command.chatId);
  if (!chat) throw chatNotFound(command.chatId);
  const model = catalog.find(chat.model);
  if (!model) {
    // The request id comes first (turns.md step 3): a chat whose model left the catalog still
    // replays its completed turns, which need no model.
    const isRequestIdUsed = (await findTurnSummaryByRequestId(tx, { tenantId: chat.tenantId, chatId: chat.id, requestId: command.requestId })) !== null;
    throw isRequestIdUsed ? new RequestIdTaken() : modelUnavailable(chat.id, chat.model);
  }
  const opened = await openTurn(tx, { ...command, model });
  if (opened.isOpened) return opened.turn;
  throw refusalError(opened, command);
}

/** The refusal's error, in the order the checks are documented: request id, running turn, attachments. */
function refusalError(refusal: TurnOpeningRefusal, command: StartTurnCommand): Error {
  if (refusal.isRequestIdUsed) return new RequestIdTaken();
  if (refusal.isTurnRunning) return generationInProgress(command);
  const violations = command.attachmentIds.flatMap((id, index) =>
    refusal.linkableAttachmentIds.has(id) ? [] : [{ field: `attachment_ids[${index}]`, description: 'is not a live attachment of this chat uploaded by you' }],
  );
  return new TurnError('INVALID_ATTACHMENT', 'unknown, deleted or foreign attachment', { fieldViolations: violations, metadata: { chat_id: command.chatId } });
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
