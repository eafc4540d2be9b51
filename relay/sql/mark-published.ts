import { OUTBOX_CHATS_TABLE, OUTBOX_TABLE, outboxChatColumns as ch, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

// One statement: the rows become published, and each chat's `published_seq` moves to its highest
// event among them (a claim's published events are always the chat's next ones, in order).
// `greatest` and the `published_at is null` guard make a late or repeated call harmless: the
// broker acknowledged these records, so "published" is true whoever holds the lease now. The
// chat's lease is released only if it is still ours; it is then ready again at once, behind the
// chats that waited longer. Chat rows are locked in chat id order first: `enqueue` holds a chat
// row until its transaction commits, and a transaction writing to several chats takes them in
// that order too, so the two never wait on each other in a cycle (deadlock).
const markPublishedSql = `
with published as (
  update ${OUTBOX_TABLE} set ${c.publishedAt} = now()
   where ${c.id} = any($1::bigint[]) and ${c.publishedAt} is null
), progress as (
  select ${c.chatId} as chat_id, max(${c.chatSeq}) as seq from ${OUTBOX_TABLE}
   where ${c.id} = any($1::bigint[]) group by ${c.chatId}
), locked as (
  select ${ch.chatId} from ${OUTBOX_CHATS_TABLE}
   where ${ch.chatId} in (select chat_id from progress)
   order by ${ch.chatId} for update
)
update ${OUTBOX_CHATS_TABLE} chat
   set ${ch.publishedSeq} = greatest(chat.${ch.publishedSeq}, progress.seq),
       ${ch.readyAt} = case when chat.${ch.lockedBy} = $2 then now() else chat.${ch.readyAt} end,
       ${ch.lockedUntil} = case when chat.${ch.lockedBy} = $2 then null else chat.${ch.lockedUntil} end,
       ${ch.lockedBy} = case when chat.${ch.lockedBy} = $2 then null else chat.${ch.lockedBy} end
  from progress join locked on locked.${ch.chatId} = progress.chat_id
 where chat.${ch.chatId} = progress.chat_id`;

/**
 * Records that Kafka acknowledged the events `ids` (the first events of their chats, in order):
 * they leave the backlog and become subject to retention, and their chats move on. Call it only
 * after the broker's acknowledgement.
 */
export async function markPublished(db: DatabaseClient, options: { instanceId: string; ids: readonly string[] }): Promise<void> {
  if (options.ids.length === 0) return;
  await db.query(markPublishedSql, [options.ids, options.instanceId]);
}
