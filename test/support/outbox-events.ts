import { randomBytes, randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { runInTransaction } from '../../src/db/transaction.ts';
import { outboxEventOf, turnTerminalEvent } from '../../src/domain/audit-events.ts';
import { enqueue, type OutboxEvent } from '../../src/outbox/enqueue.ts';

/** Options of {@link anAuditEvent}. */
export type AuditEventOptions = {
  readonly chatId?: string;
  readonly tenantId?: string;
  readonly traceId?: string;
  /** Pads the event (its `model` field) to about this many bytes of JSON. */
  readonly payloadBytes?: number;
};

/**
 * A schema-valid `turn_completed` event as the service enqueues it, with fresh ids; chats get
 * several of them in the relay tests. `payloadBytes` makes large (even poison-sized) events.
 */
export function anAuditEvent(options: AuditEventOptions = {}): OutboxEvent {
  const base = turnTerminalEvent({
    eventId: randomUUID(),
    occurredAt: new Date(),
    chatId: options.chatId ?? randomUUID(),
    actor: { tenantId: options.tenantId ?? randomUUID(), userId: randomUUID(), requesterType: 'user', ...(options.traceId ? { traceId: options.traceId } : {}) },
    facts: { turnId: randomUUID(), requestId: randomUUID(), model: 'echo', usage: { inputTokens: 3, outputTokens: 5 }, latencyMs: { ttft: 7, total: 40 } },
    end: { state: 'completed', finishReason: 'stop' },
  });
  const padding = Math.max(0, (options.payloadBytes ?? 0) - Buffer.byteLength(JSON.stringify(base)));
  const event = padding === 0 ? base : { ...base, model: `echo-${'x'.repeat(padding)}` };
  return outboxEventOf(event);
}

/** A random W3C trace id (32 lowercase hex chars). */
export function aTraceId(): string {
  return randomBytes(16).toString('hex');
}

/** Enqueues `events` in one transaction, in order, as a use case would. */
export async function enqueueInOneTransaction(orm: MikroORM, events: readonly OutboxEvent[]): Promise<void> {
  await runInTransaction(orm.em, async (tx) => {
    for (const event of events) await enqueue(tx, event);
  });
}

/** `count` events for each of `chatCount` fresh chats, interleaved chat by chat (a, b, c, a, b, c, …). */
export function eventsOfChats(options: { chatCount: number; eventsPerChat: number; payloadBytes?: number }): OutboxEvent[] {
  const chatIds = Array.from({ length: options.chatCount }, () => randomUUID());
  const events: OutboxEvent[] = [];
  for (let n = 0; n < options.eventsPerChat; n += 1) {
    for (const chatId of chatIds) events.push(anAuditEvent({ chatId, payloadBytes: options.payloadBytes }));
  }
  return events;
}
