import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { findLiveLinkedAttachmentIds, findLiveUserMessage, softDeleteMessagesOfRequest, softDeleteTurn } from '../db/repositories/turn-mutation.repository.ts';
import { outboxEventOf, turnReplacedEvent } from '../domain/audit-events.ts';
import type { ModelCatalog } from '../llm/model-catalog.ts';
import { enqueue } from '../outbox/enqueue.ts';
import { inSpan } from '../telemetry/spans.ts';
import type { Requester } from './chat-commands.ts';
import { guardLatestTurn, type TurnAddress } from './guard-latest-turn.ts';
import { modelOfChat } from './model-of-chat.ts';
import { openTurn } from './open-turn.ts';
import { runUnlessCancelled } from './run-unless-cancelled.ts';
import { translateRace } from './start-turn.ts';
import type { StartedTurn } from './started-turn.ts';

export type ReplaceTurnCommand = TurnAddress & {
  readonly requester: Requester;
  readonly kind: 'retry' | 'edit';
  /** Edit's new text; Retry resends the old user message. */
  readonly newContent?: string;
};

/**
 * Retry's and Edit's unit of work (turns.md): after the validation sequence, soft-deletes the
 * latest turn (replaced by a new server-made request id) and its messages, then opens a new running
 * turn with the old or edited content, the old message's live attachments and its web_search
 * setting, and enqueues `turn_retry` / `turn_edit`. If anything fails, nothing changed: the old turn
 * is still the latest and intact, also when the call is cancelled before the commit
 * (`runUnlessCancelled`). Traced as the `turn.preflight` span.
 */
export async function replaceTurn(deps: { orm: MikroORM; catalog: ModelCatalog }, command: ReplaceTurnCommand, callSignal: AbortSignal): Promise<StartedTurn> {
  return inSpan('turn.preflight', { 'minichat.turn.kind': command.kind }, () => replaceTurnInSpan(deps, command, callSignal));
}

async function replaceTurnInSpan(deps: { orm: MikroORM; catalog: ModelCatalog }, command: ReplaceTurnCommand, callSignal: AbortSignal): Promise<StartedTurn> {
  const newRequestId = randomUUID();
  try {
    return await runUnlessCancelled(deps.orm.em, callSignal, async (tx) => {
      const { chat, target } = await guardLatestTurn(tx, command.requester, command);
      const scope = { tenantId: chat.tenantId, chatId: chat.id };
      const model = modelOfChat(deps.catalog, chat);
      const oldMessage = await findLiveUserMessage(tx, { ...scope, requestId: target.requestId });
      const attachmentIds = oldMessage ? await findLiveLinkedAttachmentIds(tx, { tenantId: chat.tenantId, messageId: oldMessage.id }) : [];
      const now = new Date();
      await softDeleteTurn(tx, { tenantId: chat.tenantId, turnId: target.id, replacedByRequestId: newRequestId, now });
      await softDeleteMessagesOfRequest(tx, { ...scope, requestId: target.requestId, now });
      const opened = await openTurn(tx, {
        requester: command.requester,
        chatId: chat.id,
        requestId: newRequestId,
        content: command.newContent ?? oldMessage?.content ?? '',
        attachmentIds,
        webSearch: target.webSearchEnabled,
        model,
        replacesRequestId: target.requestId,
      });
      // The old turn was the latest and terminal under the chat lock, the request id is new and the
      // attachments are the old message's live ones: a refusal here is a broken invariant.
      if (!opened.isOpened) throw new Error(`opening the replacement turn was refused: ${JSON.stringify({ ...opened, linkableAttachmentIds: [...opened.linkableAttachmentIds] })}`);
      const { turn } = opened;
      const event = turnReplacedEvent({
        eventId: randomUUID(),
        occurredAt: now,
        chatId: chat.id,
        actor: command.requester.actor,
        kind: command.kind,
        oldTurn: { turnId: target.id, requestId: target.requestId },
        newTurn: { turnId: turn.turnId, requestId: newRequestId },
      });
      await enqueue(tx, outboxEventOf(event));
      return turn;
    });
  } catch (error) {
    throw translateRace(error, { chatId: command.chatId, requestId: newRequestId });
  }
}
