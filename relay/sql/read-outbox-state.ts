import { OUTBOX_CHATS_TABLE, OUTBOX_TABLE, outboxChatColumns as ch, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

/** What the relay's gauges report. */
export type OutboxState = {
  /** Events not yet published (dead letters and the events they hold back included). */
  readonly backlog: number;
  /** Age of the oldest event not yet published, 0 when there is none. */
  readonly oldestUnpublishedAgeSeconds: number;
  /** Dead letters not yet replayed or discarded. */
  readonly deadLetters: number;
};

// From the chats with work only (outbox_chats_ready_idx): the backlog is the sum of their gaps
// between published_seq and last_seq; the oldest waiting event is one of their next events.
const readOutboxStateSql = `
select coalesce(sum(chat.${ch.lastSeq} - chat.${ch.publishedSeq}), 0)::int as backlog,
       coalesce(extract(epoch from now() - min(e.${c.createdAt})), 0)::float8 as "oldestUnpublishedAgeSeconds",
       (select count(*)::int from ${OUTBOX_TABLE} where ${c.deadLetteredAt} is not null and ${c.discardedAt} is null) as "deadLetters"
  from ${OUTBOX_CHATS_TABLE} chat
  left join ${OUTBOX_TABLE} e on e.${c.chatId} = chat.${ch.chatId} and e.${c.chatSeq} = chat.${ch.publishedSeq} + 1
 where chat.${ch.publishedSeq} < chat.${ch.lastSeq}`;

/** Reads the backlog, the oldest waiting event's age and the dead letters, for the gauges. */
export async function readOutboxState(db: DatabaseClient): Promise<OutboxState> {
  const { rows } = await db.query<OutboxState>(readOutboxStateSql);
  return rows[0]!;
}
