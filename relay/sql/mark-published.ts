import { OUTBOX_TABLE, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

// Not fenced by `locked_by`: the broker acknowledged these records, so "published" is true
// whoever holds the lease now; a relay whose lease expired mid-send still records its progress.
const markPublishedSql = `
update ${OUTBOX_TABLE}
   set ${c.publishedAt} = now(), ${c.lockedUntil} = null, ${c.lockedBy} = null
 where ${c.id} = any($1::bigint[]) and ${c.publishedAt} is null`;

/**
 * Records that Kafka acknowledged the events `ids`: they leave the backlog, release their chats
 * and become subject to retention. Call it only after the broker's acknowledgement. Returns how
 * many rows changed (rows another instance already marked are left alone).
 */
export async function markPublished(db: DatabaseClient, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.query(markPublishedSql, [ids]);
  return result.rowCount ?? 0;
}
