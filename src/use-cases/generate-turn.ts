import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { findMessageById } from '../db/repositories/message.repository.ts';
import { findTurnByRequestId } from '../db/repositories/turn.repository.ts';
import type { Turn } from '../db/entities/turn.entity.ts';
import type { FinishReason } from '../domain/turn.ts';
import type { ModelCatalog } from '../llm/model-catalog.ts';
import type { Requester } from './chat-commands.ts';
import { requestIdConflict, startTurn } from './start-turn.ts';
import { streamTurn, type StreamTurnDeps } from './stream-turn.ts';
import type { TurnStreamEvent } from './turn-stream-events.ts';

export type GenerateTurnCommand = {
  readonly requester: Requester;
  readonly chatId: string;
  /** The client's idempotency key; absent → the server makes one and reports it in `started`. */
  readonly requestId?: string;
  readonly content: string;
  readonly attachmentIds: readonly string[];
  readonly webSearch: boolean;
};

export type GenerateTurnDeps = StreamTurnDeps & { readonly catalog: ModelCatalog };

/**
 * Generate (turns.md steps 2–8): starts a turn in one transaction and streams it; a request id the
 * chat already has is replayed when its turn completed, REQUEST_ID_CONFLICT otherwise. Everything
 * that fails before `started` is thrown as a `TurnError` with nothing written; after `started` the
 * stream always ends with its terminal event.
 */
export async function* generateTurn(deps: GenerateTurnDeps, command: GenerateTurnCommand, signal: AbortSignal): AsyncGenerator<TurnStreamEvent> {
  const requestId = command.requestId ?? randomUUID();
  // No lookup before the transaction: it checks the chat and the request id under the chat's lock
  // anyway, and a replay (the rare case) costs one rolled-back transaction more.
  const started = await startTurn(deps, { ...command, requestId }, signal);
  if (started.isStarted) {
    yield* streamTurn(deps, started.turn, signal);
    return;
  }
  const address = { tenantId: command.requester.owner.tenantId, chatId: command.chatId, requestId };
  const existing = await findTurnByRequestId(deps.orm.em.fork(), address);
  if (!existing) throw requestIdConflict(address);
  yield* replayTurn(deps.orm, existing, address);
}

/**
 * Replay (api.md rule 5): a completed, live turn is answered from the database — `started` with
 * `is_new_turn: false`, the whole stored answer as one delta, `done` with the stored usage — with no
 * model call and nothing written. Any other state of that request id is REQUEST_ID_CONFLICT.
 */
async function* replayTurn(orm: MikroORM, turn: Turn, address: { chatId: string; requestId: string }): AsyncGenerator<TurnStreamEvent> {
  if (turn.state !== 'completed' || turn.deletedAt !== null || !turn.assistantMessageId) throw requestIdConflict(address);
  const message = await findMessageById(orm.em.fork(), { tenantId: turn.tenantId, messageId: turn.assistantMessageId });
  if (!message) throw requestIdConflict(address);
  const model = message.model ?? turn.effectiveModel;
  yield { type: 'started', chatId: turn.chatId, requestId: turn.requestId, turnId: turn.id, messageId: message.id, isNewTurn: false, model };
  yield { type: 'delta', text: message.content };
  yield {
    type: 'done',
    messageId: message.id,
    usage: { inputTokens: turn.inputTokens ?? 0, outputTokens: turn.outputTokens ?? 0 },
    model,
    finishReason: (turn.finishReason ?? 'stop') as FinishReason,
  };
}
