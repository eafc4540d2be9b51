import { OUTBOX_CHATS_TABLE, OUTBOX_TABLE, outboxChatColumns as ch, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
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
 * The claim, one statement. `ready`: up to `$3` chats with work (`published_seq < last_seq`), not
 * leased, whose `ready_at` has come, longest-ready first, through `outbox_chats_ready_idx`;
 * `for update skip locked` makes each chat row a mutex between relay instances claiming at the
 * same moment (a chat another instance leased meanwhile is re-checked on its newest version and
 * dropped) and skips chats whose enqueueing transaction is still open. `picked`: each chat's next
 * events, `chat_seq` after `published_seq`, in order, through the `(chat_id, chat_seq)` index;
 * the first `$2` in (chat, chat_seq) order. `leased`: only the chats that got events are leased.
 * Events never skip: a later commit always has a higher `chat_seq` (see `enqueue`), and a chat
 * only moves on once all its events up to `published_seq` are published. The cost is a few index
 * probes per chat, whatever the size of the backlog.
 */
const claimBatchSql = `
with ready as (
  select ${ch.chatId}, ${ch.publishedSeq}, ${ch.readyAt}
    from ${OUTBOX_CHATS_TABLE}
   where ${ch.publishedSeq} < ${ch.lastSeq} and ${ch.lockedUntil} is null and ${ch.readyAt} <= now()
   order by ${ch.readyAt}
   limit $3
   for update skip locked
),
picked as (
  select next.*, ready.${ch.readyAt} as chat_ready_at
    from ready
   cross join lateral (
     select e.${c.id}, e.${c.eventId}, e.${c.eventType}, e.${c.tenantId}, e.${c.chatId}, e.${c.chatSeq},
            e.${c.traceId}, e.${c.payload}::text as payload, e.${c.createdAt}
       from ${OUTBOX_TABLE} e
      where e.${c.chatId} = ready.${ch.chatId} and e.${c.chatSeq} > ready.${ch.publishedSeq}
      order by e.${c.chatSeq}
      limit $2) next
   order by ready.${ch.readyAt}, ready.${ch.chatId}, next.${c.chatSeq}
   limit $2
),
leased as (
  update ${OUTBOX_CHATS_TABLE}
     set ${ch.lockedUntil} = now() + $4 * interval '1 millisecond', ${ch.lockedBy} = $1
   where ${ch.chatId} in (select ${c.chatId} from picked)
)
select ${c.id} as id, ${c.eventId} as "eventId", ${c.eventType} as "eventType", ${c.tenantId} as "tenantId",
       ${c.chatId} as "chatId", ${c.chatSeq} as "chatSeq", ${c.traceId} as "traceId", payload, ${c.createdAt} as "createdAt"
  from picked
 order by chat_ready_at, ${c.chatId}, ${c.chatSeq}`;

/** Options of {@link claimBatch}. */
export type ClaimOptions = {
  readonly instanceId: string;
  /** Most events in the batch. */
  readonly batchSize: number;
  /** Most chats looked at (each brings its waiting events, in order, until the batch is full). */
  readonly maxChats: number;
  readonly leaseMs: number;
};

/**
 * Leases the chats of up to `batchSize` events to `instanceId` for `leaseMs` and returns the
 * events in publish order: chats longest-ready first, each in `chat_seq` order. Only this
 * instance publishes these chats until it settles them (or the lease expires and is reclaimed).
 */
export async function claimBatch(db: DatabaseClient, options: ClaimOptions): Promise<ClaimedEvent[]> {
  const { rows } = await db.query<ClaimedEvent>(claimBatchSql, [options.instanceId, options.batchSize, options.maxChats, options.leaseMs]);
  return rows;
}
