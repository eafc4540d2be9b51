import { OUTBOX_CHATS_TABLE, outboxChatColumns as ch } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

// Through outbox_chats_leased_idx (only leased chats are in it); run every few seconds.
const reclaimExpiredLeasesSql = `
with expired as (
  select ${ch.chatId}, ${ch.lockedBy} from ${OUTBOX_CHATS_TABLE}
   where ${ch.lockedUntil} < now()
     for update skip locked
), freed as (
  update ${OUTBOX_CHATS_TABLE} chat
     set ${ch.lockedUntil} = null, ${ch.lockedBy} = null
    from expired where chat.${ch.chatId} = expired.${ch.chatId}
  returning expired.${ch.lockedBy} as previous_owner
)
select previous_owner as "instanceId", count(*)::int as chats from freed group by previous_owner`;

/**
 * Frees the chats of relay instances that stopped settling their claims in time (killed,
 * partitioned, stalled): they can be claimed again, and their unacknowledged events are published
 * again (at-least-once, same `event-id`). Returns the chats freed per former owner.
 */
export async function reclaimExpiredLeases(db: DatabaseClient): Promise<Array<{ instanceId: string; chats: number }>> {
  const { rows } = await db.query<{ instanceId: string; chats: number }>(reclaimExpiredLeasesSql);
  return rows;
}
