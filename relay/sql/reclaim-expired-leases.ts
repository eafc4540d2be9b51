import { OUTBOX_TABLE, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

// Scans the waiting rows (outbox_pending_idx); run every few seconds, not per claim. A whole
// claim shares one `locked_until`, so a chat's leased prefix expires, and is freed, at once.
const reclaimExpiredLeasesSql = `
with expired as (
  select ${c.id}, ${c.lockedBy} from ${OUTBOX_TABLE}
   where ${c.publishedAt} is null and ${c.deadLetteredAt} is null and ${c.lockedUntil} < now()
     for update skip locked
), freed as (
  update ${OUTBOX_TABLE} o
     set ${c.lockedUntil} = null, ${c.lockedBy} = null
    from expired where o.${c.id} = expired.${c.id}
  returning expired.${c.lockedBy} as previous_owner
)
select previous_owner as "instanceId", count(*)::int as events from freed group by previous_owner`;

/**
 * Frees the leases of relay instances that stopped settling their claims in time (killed,
 * partitioned, stalled): their chats can be claimed again, and their unacknowledged events are
 * published again (at-least-once, same `event-id`). Returns the events freed per former owner.
 */
export async function reclaimExpiredLeases(db: DatabaseClient): Promise<Array<{ instanceId: string; events: number }>> {
  const { rows } = await db.query<{ instanceId: string; events: number }>(reclaimExpiredLeasesSql);
  return rows;
}
