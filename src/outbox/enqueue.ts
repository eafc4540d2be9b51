import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxRowSchema } from '../db/entities/outbox-row.entity.ts';

/** An audit event as the outbox stores it; `payload` is the event JSON the relay publishes as is. */
export type OutboxEvent = {
  readonly eventId: string;
  readonly eventType: string;
  readonly tenantId: string;
  readonly chatId: string;
  readonly traceId?: string | undefined;
  readonly payload: Record<string, unknown>;
};

/**
 * The one capability `enqueue` needs from the caller: an immediate INSERT inside the caller's open
 * transaction. Any MikroORM EntityManager has it; the `tx` of `runInTransaction` is the usual one.
 * Kept to one method (like pg-boss's `IDatabase.executeSql`) so enqueue fits any transaction.
 */
export type OutboxWriter = Pick<EntityManager, 'insert'>;

/**
 * Writes `event` to the outbox at once, in the caller's transaction: the event is committed if
 * and only if the change it describes is, and a rolled-back transaction leaves no row. The
 * relay publishes committed rows to Kafka; the service itself never talks to Kafka.
 */
export async function enqueue(tx: OutboxWriter, event: OutboxEvent): Promise<void> {
  await tx.insert(OutboxRowSchema, {
    eventId: event.eventId,
    eventType: event.eventType,
    tenantId: event.tenantId,
    chatId: event.chatId,
    traceId: event.traceId ?? null,
    payload: event.payload,
  });
}
