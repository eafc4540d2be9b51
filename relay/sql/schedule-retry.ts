import { OUTBOX_TABLE, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

/** One event Kafka did not take, and why. */
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
// is far over the cap) so power() never overflows. In SET, `o.attempts` is the value before this
// failure. Only a refusal can dead-letter, and only once the event has had max attempts in all.
const scheduleRetrySql = `
update ${OUTBOX_TABLE} o
   set ${c.attempts} = o.${c.attempts} + 1,
       ${c.lastError} = f.error,
       ${c.lockedUntil} = null, ${c.lockedBy} = null,
       ${c.nextAttemptAt} = now() + least($5::float8, $4::float8 * power(2, least(o.${c.attempts}, 20)))
                                   * (0.5 + random() / 2) * interval '1 millisecond',
       ${c.deadLetteredAt} = case when f.is_permanent and o.${c.attempts} + 1 >= $6 then now() end
  from unnest($1::bigint[], $2::text[], $3::boolean[]) as f(id, error, is_permanent)
 where o.${c.id} = f.id and o.${c.publishedAt} is null and o.${c.lockedBy} = $7
returning o.${c.id} as id, o.${c.attempts} as attempts, o.${c.deadLetteredAt} is not null as "isDeadLettered"`;

/**
 * Records failed publish attempts of chat heads: counts the attempt, keeps the error, releases
 * the lease and sets `next_attempt_at` by exponential backoff with jitter, so the chat (and only
 * it) waits. A permanently refused event that reached `maxAttempts` becomes a dead letter.
 * Only rows still leased by `instanceId` change; returns their new state.
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
