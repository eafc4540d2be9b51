import { OUTBOX_CHATS_TABLE, OUTBOX_PUBLICATIONS_TABLE, outboxChatColumns as ch, outboxPublicationColumns as pub } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

/** How far one chat got: its events up to `upToSeq` were acknowledged by Kafka. */
export type ChatProgress = { readonly chatId: string; readonly upToSeq: number };

// One statement, and no outbox row is touched: each chat's `published_seq` moves to `upToSeq`
// (`greatest`: a late or repeated call is harmless; the broker acknowledged these records, so
// they are published whoever holds the lease now), and a publication row records when, for
// retention. The chat's lease is released only if it is still ours; it is then ready again at
// once, behind the chats that waited longer. Chat rows are locked in chat id order first:
// `enqueue` holds a chat row until its transaction commits, and a transaction writing to several
// chats takes them in that order too, so the two never wait on each other in a cycle (deadlock).
const markPublishedSql = `
with progress as (
  select * from unnest($1::uuid[], $2::int[]) as p(chat_id, up_to_seq)
), locked as (
  select ${ch.chatId} from ${OUTBOX_CHATS_TABLE}
   where ${ch.chatId} in (select chat_id from progress)
   order by ${ch.chatId} for update
), advanced as (
  update ${OUTBOX_CHATS_TABLE} chat
     set ${ch.publishedSeq} = greatest(chat.${ch.publishedSeq}, progress.up_to_seq),
         ${ch.readyAt} = case when chat.${ch.lockedBy} = $3 then now() else chat.${ch.readyAt} end,
         ${ch.lockedUntil} = case when chat.${ch.lockedBy} = $3 then null else chat.${ch.lockedUntil} end,
         ${ch.lockedBy} = case when chat.${ch.lockedBy} = $3 then null else chat.${ch.lockedBy} end
    from progress join locked on locked.${ch.chatId} = progress.chat_id
   where chat.${ch.chatId} = progress.chat_id
)
insert into ${OUTBOX_PUBLICATIONS_TABLE} (${pub.chatId}, ${pub.upToSeq}, ${pub.publishedAt})
select chat_id, up_to_seq, now() from progress
on conflict (${pub.chatId}, ${pub.upToSeq}) do nothing`;

/**
 * Records that Kafka acknowledged each chat's next events up to `upToSeq`: they leave the
 * backlog and become subject to retention, and the chats move on. Call it only after the
 * broker's acknowledgement.
 */
export async function markPublished(db: DatabaseClient, options: { instanceId: string; progress: readonly ChatProgress[] }): Promise<void> {
  if (options.progress.length === 0) return;
  await db.query({
    name: 'relay-mark-published', // prepared once per connection, as the claim
    text: markPublishedSql,
    values: [options.progress.map((chat) => chat.chatId), options.progress.map((chat) => chat.upToSeq), options.instanceId],
  });
}

/** The progress of each chat in `events` (published in chat order): its highest `chatSeq`. */
export function progressOf(events: ReadonlyArray<{ chatId: string; chatSeq: number }>): ChatProgress[] {
  const upTo = new Map<string, number>();
  for (const event of events) upTo.set(event.chatId, Math.max(upTo.get(event.chatId) ?? 0, event.chatSeq));
  return [...upTo].map(([chatId, upToSeq]) => ({ chatId, upToSeq }));
}
