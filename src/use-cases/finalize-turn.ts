import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { finalizeTurnIfRunning, findTurnByRequestId, lockChatAndTurnIfRunning } from '../db/repositories/turn.repository.ts';
import { runInTransaction } from '../db/transaction.ts';
import { turnTerminalEvent } from '../domain/audit-events.ts';
import { assistantMessageOf, type TurnFailureCode, type TurnOutcome } from '../domain/turn.ts';
import { enqueue } from '../outbox/enqueue.ts';
import { inSpan } from '../telemetry/spans.ts';
import type { StartedTurn } from './started-turn.ts';

/** What the finalization decided: this caller's outcome was recorded, or another end won first. */
export type Finalization =
  | { readonly isWinner: true; readonly outcome: TurnOutcome }
  | { readonly isWinner: false; readonly state: string; readonly errorCode: TurnFailureCode | null };

/** Thrown inside the transaction when another end already took the turn out of `running`. */
class CasLost extends Error {}

/**
 * Ends a running turn in one transaction (turns.md Generate step 8): locks the chat, then the turn
 * (the lock order every transaction follows), and only if it is still running compare-and-sets it
 * out of `running` with usage and error code, storing the assistant message (a completed answer,
 * or the partial text of a cancelled one) in the same statement, and enqueues its one terminal
 * audit event: three statements. If another end
 * (the orphan watchdog, a concurrent cancel) won the CAS first, nothing is written and the winner's
 * state is returned instead. Traced as the `turn.finalize` span.
 */
export async function finalizeTurn(orm: MikroORM, turn: StartedTurn, outcome: TurnOutcome, timing: { firstTokenAt?: Date }): Promise<Finalization> {
  return inSpan('turn.finalize', { 'minichat.turn.outcome': outcome.state }, async (span) => {
    const result = await finalizeOrReadWinner(orm, turn, outcome, timing);
    span.setAttribute('minichat.turn.is_winner', result.isWinner);
    return result;
  });
}

async function finalizeOrReadWinner(orm: MikroORM, turn: StartedTurn, outcome: TurnOutcome, timing: { firstTokenAt?: Date }): Promise<Finalization> {
  const message = assistantMessageOf(outcome);
  try {
    await runInTransaction(orm.em, async (tx) => {
      const scope = { tenantId: turn.tenantId, turnId: turn.turnId };
      if (!(await lockChatAndTurnIfRunning(tx, { ...scope, chatId: turn.chatId }))) throw new CasLost();
      const now = new Date();
      const isWinner = await finalizeTurnIfRunning(
        tx,
        scope,
        {
          state: outcome.state,
          errorCode: outcome.state === 'failed' ? outcome.code : null,
          errorDetail: outcome.state === 'failed' ? outcome.detail : null,
          finishReason: outcome.state === 'completed' ? outcome.finishReason : null,
          inputTokens: outcome.usage.inputTokens,
          outputTokens: outcome.usage.outputTokens,
        },
        message && { id: turn.assistantMessageId, chatId: turn.chatId, requestId: turn.requestId, content: message.content, model: turn.model.id, isPartial: message.isPartial },
      );
      if (!isWinner) throw new CasLost();
      const event = turnTerminalEvent({
        eventId: randomUUID(),
        occurredAt: now,
        chatId: turn.chatId,
        actor: turn.actor,
        facts: {
          turnId: turn.turnId,
          requestId: turn.requestId,
          model: turn.model.id,
          usage: outcome.usage,
          latencyMs: {
            ttft: timing.firstTokenAt && timing.firstTokenAt.getTime() - turn.startedAt.getTime(),
            total: now.getTime() - turn.startedAt.getTime(),
          },
        },
        end: endOf(outcome),
      });
      await enqueue(tx, { eventId: event.event_id, eventType: event.event_type, tenantId: turn.tenantId, chatId: turn.chatId, traceId: event.trace_id, payload: event });
    });
    return { isWinner: true, outcome };
  } catch (error) {
    if (!(error instanceof CasLost)) throw error;
    // A fresh read: the winner's state, as the client of this stream should learn it.
    const current = await findTurnByRequestId(orm.em.fork(), { tenantId: turn.tenantId, chatId: turn.chatId, requestId: turn.requestId });
    return { isWinner: false, state: current?.state ?? 'unknown', errorCode: (current?.errorCode ?? null) as TurnFailureCode | null };
  }
}

function endOf(outcome: TurnOutcome) {
  switch (outcome.state) {
    case 'completed':
      return { state: 'completed', finishReason: outcome.finishReason } as const;
    case 'failed':
      return { state: 'failed', errorCode: outcome.code } as const;
    case 'cancelled':
      return { state: 'cancelled' } as const;
  }
}
