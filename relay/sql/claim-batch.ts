import { OUTBOX_TABLE, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

/** One claimed outbox row, as the relay publishes it. */
export type ClaimedEvent = {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly tenantId: string;
  readonly chatId: string;
  readonly chatSeq: number;
  readonly traceId: string | null;
  /** The stored event JSON, as text: published as the record value. */
  readonly payload: string;
  readonly createdAt: Date;
};

/**
 * The claim, one statement. A chat's *head* is its unfinished event (neither published nor
 * discarded) with the lowest `chat_seq`. `heads` takes the oldest heads that are free to publish:
 * not dead-lettered, not backing off, not leased. `for update skip locked` on the head row is the
 * per-chat mutex between relay instances claiming at the same moment; a head that another
 * instance leased and committed meanwhile is re-checked on its newest version and dropped. Each
 * head then brings the events queued behind it in `chat_seq` order, and the first `$2` rows in
 * (head age, chat_seq) order get the lease. Invariant kept by every statement of the relay:
 * leased rows of a chat are a prefix starting at its head, so a free head means a free chat.
 * Events never skip: a late commit always gets a higher `chat_seq` than every committed event of
 * its chat (see `enqueue`) and waits behind any of them still unpublished.
 */
const claimBatchSql = `
with heads as (
  select o.${c.id}, o.${c.chatId}, o.${c.chatSeq}
    from ${OUTBOX_TABLE} o
   where o.${c.publishedAt} is null and o.${c.deadLetteredAt} is null
     and o.${c.lockedUntil} is null
     and o.${c.nextAttemptAt} <= now()
     and not exists (
       select 1 from ${OUTBOX_TABLE} earlier
        where earlier.${c.chatId} = o.${c.chatId} and earlier.${c.chatSeq} < o.${c.chatSeq}
          and earlier.${c.publishedAt} is null and earlier.${c.discardedAt} is null)
   order by o.${c.id}
   limit $2
   for update of o skip locked
),
picked as (
  select run.${c.id}, head.${c.id} as head_id, run.${c.chatSeq}
    from (select * from heads order by ${c.id}) head
   cross join lateral (
     select r.${c.id}, r.${c.chatSeq} from ${OUTBOX_TABLE} r
      where r.${c.chatId} = head.${c.chatId} and r.${c.chatSeq} >= head.${c.chatSeq}
        and r.${c.publishedAt} is null and r.${c.discardedAt} is null
      order by r.${c.chatSeq}
      limit $2) run
   order by head.${c.id}, run.${c.chatSeq}
   limit $2
)
update ${OUTBOX_TABLE} o
   set ${c.lockedUntil} = now() + $3 * interval '1 millisecond', ${c.lockedBy} = $1
  from picked
 where o.${c.id} = picked.${c.id}
returning picked.head_id, o.${c.id} as id, o.${c.eventId} as "eventId", o.${c.eventType} as "eventType",
          o.${c.tenantId} as "tenantId", o.${c.chatId} as "chatId", o.${c.chatSeq} as "chatSeq",
          o.${c.traceId} as "traceId", o.${c.payload}::text as payload, o.${c.createdAt} as "createdAt"`;

type ClaimedRow = ClaimedEvent & { head_id: string };

/**
 * Leases up to `batchSize` events to `instanceId` for `leaseMs` and returns them in publish
 * order: chats oldest head first, each chat in `chat_seq` order. Only this instance publishes the
 * returned chats until it settles them (or the lease expires and is reclaimed).
 */
export async function claimBatch(
  db: DatabaseClient,
  options: { instanceId: string; batchSize: number; leaseMs: number },
): Promise<ClaimedEvent[]> {
  const { rows } = await db.query<ClaimedRow>(claimBatchSql, [options.instanceId, options.batchSize, options.leaseMs]);
  rows.sort((a, b) => compareIds(a.head_id, b.head_id) || a.chatSeq - b.chatSeq);
  return rows.map(({ head_id: _headId, ...event }) => event);
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
