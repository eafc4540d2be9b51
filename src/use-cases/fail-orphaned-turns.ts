import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Turn } from '../db/entities/turn.entity.ts';
import { finalizeTurnIfRunning, lockOrphanedTurns } from '../db/repositories/turn.repository.ts';
import { runInTransaction } from '../db/transaction.ts';
import { turnTerminalEvent } from '../domain/audit-events.ts';
import { failureMessages } from '../domain/turn.ts';
import { enqueue } from '../outbox/enqueue.ts';
import { activeSpanIds } from '../telemetry/spans.ts';

/** Turns handled per scan transaction; a backlog is worked off over the following scans. */
const scanBatchSize = 100;

/**
 * One pass of the orphan watchdog (turns.md): fails running turns that made no progress for
 * `orphanTimeoutMs` with `orphan_timeout`, through the same compare-and-set as a normal
 * finalization, and enqueues their `turn_failed` events, all in one transaction. Returns how many
 * turns it failed. A stream still open for such a turn loses its own CAS and reports this failure.
 * The events carry the trace id of the active span (the watchdog's `orphan_watchdog.scan`): the
 * scan caused them, and its trace links each event to the scan's span and log lines.
 */
export async function failOrphanedTurns(orm: MikroORM, options: { orphanTimeoutMs: number }): Promise<number> {
  const traceId = activeSpanIds()?.traceId;
  return runInTransaction(orm.em, async (tx) => {
    const turns = await lockOrphanedTurns(tx, { olderThanMs: options.orphanTimeoutMs, limit: scanBatchSize });
    let failed = 0;
    // enqueue locks each chat's outbox row until commit: several chats in ascending id order, as
    // the relay does, so this transaction and a relay settling a batch never deadlock
    for (const turn of turns.sort((a, b) => (a.chatId < b.chatId ? -1 : a.chatId > b.chatId ? 1 : 0))) {
      const isWinner = await finalizeTurnIfRunning(tx, { tenantId: turn.tenantId, turnId: turn.id }, {
        state: 'failed',
        errorCode: 'orphan_timeout',
        errorDetail: failureMessages.orphan_timeout,
        finishReason: null,
        inputTokens: turn.inputTokens ?? 0,
        outputTokens: turn.outputTokens ?? 0,
      });
      if (!isWinner) continue;
      await enqueue(tx, orphanEventPayload(turn, traceId));
      failed += 1;
    }
    return failed;
  });
}

function orphanEventPayload(turn: Turn, traceId: string | undefined) {
  const now = new Date();
  const event = turnTerminalEvent({
    eventId: randomUUID(),
    occurredAt: now,
    chatId: turn.chatId,
    actor: { tenantId: turn.tenantId, userId: turn.requesterUserId, requesterType: turn.requesterType, ...(traceId ? { traceId } : {}) },
    facts: {
      turnId: turn.id,
      requestId: turn.requestId,
      model: turn.effectiveModel,
      usage: { inputTokens: turn.inputTokens ?? 0, outputTokens: turn.outputTokens ?? 0 },
      latencyMs: { total: now.getTime() - turn.startedAt.getTime() },
    },
    end: { state: 'failed', errorCode: 'orphan_timeout' },
  });
  return { eventId: event.event_id, eventType: event.event_type, tenantId: turn.tenantId, chatId: turn.chatId, traceId: event.trace_id, payload: event };
}
