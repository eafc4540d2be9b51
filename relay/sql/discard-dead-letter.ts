import {
  OUTBOX_CHATS_TABLE,
  OUTBOX_NOTIFY_CHANNEL,
  OUTBOX_PUBLICATIONS_TABLE,
  OUTBOX_TABLE,
  outboxChatColumns as ch,
  outboxColumns as c,
  outboxPublicationColumns as pub,
} from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

// The row stays (dead_lettered_at and discarded_at both set) as the record that an audit event
// was deliberately never published; a publication row makes retention delete it `RELAY_RETENTION`
// after the discard. A dead letter is always its chat's next event, so the chat moves past it and
// is ready at once.
const discardDeadLetterSql = `
with discarded as (
  update ${OUTBOX_TABLE}
     set ${c.discardedAt} = now()
   where ${c.deadLetteredAt} is not null and ${c.discardedAt} is null
     and (${c.id}::text = $1 or ${c.eventId}::text = $1)
  returning ${c.id}, ${c.chatId}, ${c.chatSeq}
), resumed as (
  update ${OUTBOX_CHATS_TABLE} chat
     set ${ch.publishedSeq} = greatest(chat.${ch.publishedSeq}, discarded.${c.chatSeq}), ${ch.readyAt} = now()
    from discarded where chat.${ch.chatId} = discarded.${c.chatId}
), recorded as (
  insert into ${OUTBOX_PUBLICATIONS_TABLE} (${pub.chatId}, ${pub.upToSeq}, ${pub.publishedAt})
  select ${c.chatId}, ${c.chatSeq}, now() from discarded
  on conflict (${pub.chatId}, ${pub.upToSeq}) do nothing
)
select discarded.${c.id} as id, pg_notify($2, '') from discarded`;

/**
 * Marks a dead letter handled without publishing it: it no longer holds its chat back, and the
 * relays (woken by NOTIFY) go on with that chat's later events. Returns false when `id` names no
 * unhandled dead letter.
 */
export async function discardDeadLetter(db: DatabaseClient, id: string): Promise<boolean> {
  const { rows } = await db.query(discardDeadLetterSql, [id, OUTBOX_NOTIFY_CHANNEL]);
  return rows.length > 0;
}
