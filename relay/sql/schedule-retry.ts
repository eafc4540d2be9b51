import { OUTBOX_CHATS_TABLE, OUTBOX_TABLE, outboxChatColumns as ch, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

/** One event Kafka did not take (always the next event of its chat), and why. */
export type PublishFailure = {
  readonly id: string;
  readonly error: string;
  /** The broker refused this record itself (e.g. too large), as opposed to being unreachable. */
  readonly isPermanent: boolean;
};

/** First retry after about this long; each further failure doubles it. */
export const RETRY_BASE_MS = 200;
/** No retry waits longer than this, so a recovered broker is used again within a minute. */
export const RETRY_CAP_MS = 60_000;

// Backoff in SQL, on the database clock: base * 2^attempts, capped, times a jitter factor in
// [0.5, 1) so relays retrying after one outage spread out. The exponent stops at 20 (base * 2^20
// is far over the cap) so power() never overflows. In SET, `e.attempts` is the value before this
// failure. Only a refusal can dead-letter, and only once the event has had max attempts in all.
// Applies only while this instance still leases the chat, and releases the lease: the chat is
// ready again when the backoff ends, or never (`infinity`) while its next event is a dead letter.
// Chat rows are locked in chat id order first, as in mark-published.ts (no deadlock with enqueue).
const scheduleRetrySql = `
with locked as (
  select chat.${ch.chatId} from ${OUTBOX_CHATS_TABLE} chat
   where chat.${ch.chatId} in (select e.${c.chatId} from ${OUTBOX_TABLE} e where e.${c.id} = any($1::bigint[]))
   order by chat.${ch.chatId} for update
), failed as (
  update ${OUTBOX_TABLE} e
     set ${c.attempts} = e.${c.attempts} + 1,
         ${c.lastError} = f.error,
         ${c.nextAttemptAt} = now() + least($5::float8, $4::float8 * power(2, least(e.${c.attempts}, 20)))
                                     * (0.5 + random() / 2) * interval '1 millisecond',
         ${c.deadLetteredAt} = case when f.is_permanent and e.${c.attempts} + 1 >= $6 then now() end
    from unnest($1::bigint[], $2::text[], $3::boolean[]) as f(id, error, is_permanent),
         ${OUTBOX_CHATS_TABLE} chat
   where e.${c.id} = f.id
     and chat.${ch.chatId} = e.${c.chatId} and chat.${ch.lockedBy} = $7 and e.${c.chatSeq} > chat.${ch.publishedSeq}
     and chat.${ch.chatId} in (select ${ch.chatId} from locked)
  returning e.${c.id} as id, e.${c.chatId} as chat_id, e.${c.attempts} as attempts,
            e.${c.nextAttemptAt} as next_attempt_at, e.${c.deadLetteredAt} is not null as is_dead_lettered
), released as (
  update ${OUTBOX_CHATS_TABLE} chat
     set ${ch.readyAt} = case when failed.is_dead_lettered then 'infinity' else failed.next_attempt_at end,
         ${ch.lockedUntil} = null, ${ch.lockedBy} = null
    from failed
   where chat.${ch.chatId} = failed.chat_id
)
select id, attempts, is_dead_lettered as "isDeadLettered" from failed`;

/**
 * Records failed publish attempts: counts the attempt, keeps the error, sets the event's
 * `next_attempt_at` by exponential backoff with jitter and makes its chat (and only it) wait that
 * long. A permanently refused event that reached `maxAttempts` becomes a dead letter and holds
 * its chat until replayed or discarded. Returns the new state of the events it changed.
 */
export async function scheduleRetry(
  db: DatabaseClient,
  options: { instanceId: string; failures: readonly PublishFailure[]; maxAttempts: number },
): Promise<Array<{ id: string; attempts: number; isDeadLettered: boolean }>> {
  if (options.failures.length === 0) return [];
  const { rows } = await db.query<{ id: string; attempts: number; isDeadLettered: boolean }>(scheduleRetrySql, [
    options.failures.map((failure) => failure.id),
    options.failures.map((failure) => failure.error.slice(0, 2_000)),
    options.failures.map((failure) => failure.isPermanent),
    RETRY_BASE_MS,
    RETRY_CAP_MS,
    options.maxAttempts,
    options.instanceId,
  ]);
  return rows;
}
