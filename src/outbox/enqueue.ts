import {
  OUTBOX_CHATS_TABLE,
  OUTBOX_NOTIFY_CHANNEL,
  OUTBOX_TABLE,
  outboxChatColumns as chat,
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

// One statement. The upsert of the chat's row takes its number (`last_seq + 1`) and keeps the
// row locked until commit, so the chat's next transaction numbers after this one, in commit order
// and without gaps (a rollback takes its number back). A chat that had nothing waiting becomes
// ready now; one with waiting events keeps its place (or its backoff). The NOTIFY is delivered
// only if and when the transaction commits (several in one transaction fold into one).
// Names only from outbox-schema.ts; `id`, `created_at`, `attempts` and `next_attempt_at` take
// their defaults: the identity and the database clock.
const enqueueSql = `with numbered as (
  insert into ${OUTBOX_CHATS_TABLE} as c (${chat.chatId}, ${chat.lastSeq}, ${chat.publishedSeq}, ${chat.readyAt})
  values (?::uuid, 1, 0, now())
  on conflict (${chat.chatId}) do update
    set ${chat.lastSeq} = c.${chat.lastSeq} + 1,
        ${chat.readyAt} = case when c.${chat.publishedSeq} = c.${chat.lastSeq} then now() else c.${chat.readyAt} end
  returning c.${chat.lastSeq}
), notified as (select pg_notify(?, ''))
insert into ${OUTBOX_TABLE}
  (${column.eventId}, ${column.eventType}, ${column.tenantId}, ${column.chatId}, ${column.chatSeq}, ${column.traceId}, ${column.payload})
  select ?, ?, ?, ?::uuid, numbered.${chat.lastSeq}, ?, ?::jsonb from numbered, notified`;

/**
 * Writes `event` to the outbox at once, in the caller's transaction: the event is committed if
 * and only if the change it describes is, and a rolled-back transaction leaves no row.
 *
 * It numbers the event after the chat's last one (`chat_seq`) and holds the chat's outbox row
 * lock until commit, so a chat's events are numbered in commit order without gaps, and the relay,
 * which publishes each chat in that order, never meets an earlier event that commits later. Two
 * transactions enqueueing for the same chat therefore run one after the other; one that enqueues
 * for several chats should do so in a fixed chat order (ascending chat id), or two of them may
 * deadlock. On commit the relay is woken by a NOTIFY. The service itself never talks to Kafka.
 */
export async function enqueue(tx: OutboxTransaction, event: OutboxEvent): Promise<void> {
  await tx.execute(enqueueSql, [
    event.chatId,
    OUTBOX_NOTIFY_CHANNEL,
    event.eventId,
    event.eventType,
    event.tenantId,
    event.chatId,
    event.traceId ?? null,
    JSON.stringify(event.payload),
  ]);
}
