import {
  OUTBOX_CHAT_LOCK_KEY,
  OUTBOX_NOTIFY_CHANNEL,
  OUTBOX_TABLE,
  outboxColumns as column,
} from './outbox-schema.ts';

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

// Its own statement, before the insert: under READ COMMITTED the insert's snapshot is then taken
// after the lock is granted, so it sees every committed event of the chat. The NOTIFY is queued
// now and delivered only if and when the transaction commits (several in one transaction fold into one).
const lockChatAndNotifySql = `select pg_advisory_xact_lock(?, hashtext(?)), pg_notify(?, '')`;

// Names only from outbox-schema.ts, the contract shared with the relay. `id`, `created_at`,
// `attempts` and `next_attempt_at` take their defaults: the identity and the database clock.
const insertEventSql = `insert into ${OUTBOX_TABLE}
  (${column.eventId}, ${column.eventType}, ${column.tenantId}, ${column.chatId}, ${column.chatSeq}, ${column.traceId}, ${column.payload})
  select ?, ?, ?, ?::uuid, coalesce(max(${column.chatSeq}), 0) + 1, ?, ?::jsonb
    from ${OUTBOX_TABLE} where ${column.chatId} = ?::uuid`;

/**
 * Writes `event` to the outbox at once, in the caller's transaction: the event is committed if
 * and only if the change it describes is, and a rolled-back transaction leaves no row.
 *
 * It takes a per-chat transaction lock and numbers the event after the chat's last one
 * (`chat_seq`), so a chat's events are numbered in commit order without gaps, and the relay, which
 * publishes each chat in that order, never meets an earlier event that commits later. Two
 * transactions enqueueing for the same chat therefore run one after the other; one that enqueues
 * for several chats should do so in a fixed chat order. Run it under READ COMMITTED (the default).
 * On commit the relay is woken by a NOTIFY. The service itself never talks to Kafka.
 */
export async function enqueue(tx: OutboxTransaction, event: OutboxEvent): Promise<void> {
  await tx.execute(lockChatAndNotifySql, [OUTBOX_CHAT_LOCK_KEY, event.chatId, OUTBOX_NOTIFY_CHANNEL]);
  await tx.execute(insertEventSql, [
    event.eventId,
    event.eventType,
    event.tenantId,
    event.chatId,
    event.traceId ?? null,
    JSON.stringify(event.payload),
    event.chatId,
  ]);
}
