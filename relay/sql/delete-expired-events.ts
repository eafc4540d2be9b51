import { OUTBOX_TABLE, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

// Judged by publish (or discard) time, never by creation time: an event that waited long for
// Kafka still stays `retention` after it was published. Dead letters not yet handled never match.
// Bounded and `skip locked`, so deleting a large backlog never holds many locks or blocks a claim.
const deleteExpiredEventsSql = `
with published as (
  select ${c.id} from ${OUTBOX_TABLE}
   where ${c.publishedAt} < now() - $1 * interval '1 millisecond'
   order by ${c.publishedAt} limit $2 for update skip locked
), discarded as (
  select ${c.id} from ${OUTBOX_TABLE}
   where ${c.deadLetteredAt} is not null and ${c.discardedAt} < now() - $1 * interval '1 millisecond'
   limit $2 for update skip locked
)
delete from ${OUTBOX_TABLE}
 where ${c.id} in (select ${c.id} from published union all select ${c.id} from discarded)`;

/**
 * Deletes at most about `limit` published (or discarded) events older than `retentionMs` by
 * their publish (discard) time; returns how many it deleted. Call it again while it returns rows.
 */
export async function deleteExpiredEvents(db: DatabaseClient, options: { retentionMs: number; limit: number }): Promise<number> {
  const result = await db.query(deleteExpiredEventsSql, [options.retentionMs, options.limit]);
  return result.rowCount ?? 0;
}
