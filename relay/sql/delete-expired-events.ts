import { OUTBOX_PUBLICATIONS_TABLE, OUTBOX_TABLE, outboxColumns as c, outboxPublicationColumns as pub } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

// Judged by publish (or discard) time, never by creation time: an event that waited long for
// Kafka still stays `retention` after it was published. A publication older than the retention
// takes its chat's events up to its `up_to_seq` with it; a dead letter not yet handled lies beyond
// its chat's `published_seq` and is never covered. Bounded (`$2` publications, each at most a
// batch of events) and `skip locked`, so it never holds many locks or waits on a relay.
const deleteExpiredEventsSql = `
with expired as (
  delete from ${OUTBOX_PUBLICATIONS_TABLE}
   where (${pub.chatId}, ${pub.upToSeq}) in (
     select ${pub.chatId}, ${pub.upToSeq} from ${OUTBOX_PUBLICATIONS_TABLE}
      where ${pub.publishedAt} < now() - $1 * interval '1 millisecond'
      order by ${pub.publishedAt} limit $2 for update skip locked)
  returning ${pub.chatId}, ${pub.upToSeq}
), per_chat as (
  select ${pub.chatId} as chat_id, max(${pub.upToSeq}) as up_to_seq from expired group by ${pub.chatId}
)
delete from ${OUTBOX_TABLE} e using per_chat
 where e.${c.chatId} = per_chat.chat_id and e.${c.chatSeq} <= per_chat.up_to_seq`;

/**
 * Deletes the events whose publication (or discard) is older than `retentionMs`, taking at most
 * `limit` publications; returns how many events it deleted. Call it again while it deletes.
 */
export async function deleteExpiredEvents(db: DatabaseClient, options: { retentionMs: number; limit: number }): Promise<number> {
  const result = await db.query(deleteExpiredEventsSql, [options.retentionMs, options.limit]);
  return result.rowCount ?? 0;
}
