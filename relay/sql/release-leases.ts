import { OUTBOX_TABLE, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

const releaseLeasesSql = `
update ${OUTBOX_TABLE}
   set ${c.lockedUntil} = null, ${c.lockedBy} = null
 where ${c.id} = any($1::bigint[]) and ${c.lockedBy} = $2 and ${c.publishedAt} is null`;

/**
 * Gives back claimed events that were not sent (queued behind a failed event of their chat, or
 * claimed when a stop began), untouched: no attempt counted, free for the next claim at once.
 */
export async function releaseLeases(db: DatabaseClient, options: { instanceId: string; ids: readonly string[] }): Promise<number> {
  if (options.ids.length === 0) return 0;
  const result = await db.query(releaseLeasesSql, [options.ids, options.instanceId]);
  return result.rowCount ?? 0;
}
