import { OUTBOX_TABLE, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

/** What the relay's gauges report. */
export type OutboxState = {
  /** Events waiting to be published (neither published nor dead-lettered). */
  readonly backlog: number;
  /** Age of the oldest waiting event, 0 when none waits. */
  readonly oldestUnpublishedAgeSeconds: number;
  /** Dead letters not yet replayed or discarded. */
  readonly deadLetters: number;
};

const readOutboxStateSql = `
select (select count(*)::int from ${OUTBOX_TABLE} where ${c.publishedAt} is null and ${c.deadLetteredAt} is null) as backlog,
       coalesce(extract(epoch from now() - (select min(${c.createdAt}) from ${OUTBOX_TABLE}
                 where ${c.publishedAt} is null and ${c.deadLetteredAt} is null)), 0)::float8 as "oldestUnpublishedAgeSeconds",
       (select count(*)::int from ${OUTBOX_TABLE} where ${c.deadLetteredAt} is not null and ${c.discardedAt} is null) as "deadLetters"`;

/** Reads the backlog, the oldest waiting event's age and the dead letters, for the gauges. */
export async function readOutboxState(db: DatabaseClient): Promise<OutboxState> {
  const { rows } = await db.query<OutboxState>(readOutboxStateSql);
  return rows[0]!;
}
