import { OUTBOX_TABLE, outboxColumns as column } from './outbox-schema.ts';

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
 * The one capability `enqueue` needs from the caller: run one statement, with `?` placeholders,
 * inside the caller's open transaction. MikroORM's EntityManager has it as `execute` (the `tx` of
 * `runInTransaction` is the usual one); kept to one method, like pg-boss's `IDatabase.executeSql`,
 * so enqueue fits any transaction.
 */
export type OutboxTransaction = {
  execute(sql: string, params: unknown[]): Promise<unknown>;
};

// Names only from outbox-schema.ts, the contract shared with the relay. `id`, `created_at`,
// `attempts` and `next_attempt_at` take their defaults: the identity and the database clock.
const insertEventSql = `insert into ${OUTBOX_TABLE}
  (${column.eventId}, ${column.eventType}, ${column.tenantId}, ${column.chatId}, ${column.traceId}, ${column.payload})
  values (?, ?, ?, ?, ?, ?::jsonb)`;

/**
 * Writes `event` to the outbox at once, in the caller's transaction: the event is committed if
 * and only if the change it describes is, and a rolled-back transaction leaves no row. The
 * relay publishes committed rows to Kafka; the service itself never talks to Kafka.
 */
export async function enqueue(tx: OutboxTransaction, event: OutboxEvent): Promise<void> {
  await tx.execute(insertEventSql, [
    event.eventId,
    event.eventType,
    event.tenantId,
    event.chatId,
    event.traceId ?? null,
    JSON.stringify(event.payload),
  ]);
}
