import { OUTBOX_CHATS_TABLE, OUTBOX_NOTIFY_CHANNEL, OUTBOX_TABLE, outboxChatColumns as ch, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

// `$1` is the row id or the event id, as `dead-letters list` prints them. The chat becomes ready,
// and the NOTIFY wakes the relays, which publish the event first and then the events of its
// chat that waited behind it.
const replayDeadLetterSql = `
with replayed as (
  update ${OUTBOX_TABLE}
     set ${c.deadLetteredAt} = null, ${c.attempts} = 0, ${c.lastError} = null, ${c.nextAttemptAt} = now()
   where ${c.deadLetteredAt} is not null and ${c.discardedAt} is null
     and (${c.id}::text = $1 or ${c.eventId}::text = $1)
  returning ${c.id}, ${c.chatId}
), resumed as (
  update ${OUTBOX_CHATS_TABLE} chat set ${ch.readyAt} = now()
    from replayed where chat.${ch.chatId} = replayed.${c.chatId}
)
select replayed.${c.id} as id, pg_notify($2, '') from replayed`;

/**
 * Makes a dead letter publishable again with a fresh attempt count (after the cause was fixed,
 * e.g. the topic's size limit raised). Returns false when `id` names no unhandled dead letter.
 */
export async function replayDeadLetter(db: DatabaseClient, id: string): Promise<boolean> {
  const { rows } = await db.query(replayDeadLetterSql, [id, OUTBOX_NOTIFY_CHANNEL]);
  return rows.length > 0;
}
