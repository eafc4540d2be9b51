import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredEvents } from '../../../relay/sql/delete-expired-events.ts';
import { anAuditEvent, enqueueInOneTransaction } from '../../support/outbox-events.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

const dayMs = 24 * 3_600_000;

/** Enqueues one event and then sets its relay columns as if it had lived `state` (times relative to now). */
async function anEventThatWas(state: { createdAgo: string; publishedAgo?: string; deadLetteredAgo?: string; discardedAgo?: string }) {
  const event = anAuditEvent();
  await enqueueInOneTransaction(database.orm, [event]);
  const ago = (interval: string | undefined) => (interval === undefined ? null : interval);
  await database.rows(
    `update outbox set created_at = now() - $2::interval,
                       published_at = now() - $3::interval,
                       dead_lettered_at = now() - $4::interval,
                       discarded_at = now() - $5::interval
      where event_id = $1`,
    [event.eventId, state.createdAgo, ago(state.publishedAgo), ago(state.deadLetteredAgo), ago(state.discardedAgo)],
  );
  return event.eventId;
}

async function remainingOf(eventIds: string[]): Promise<string[]> {
  const rows = await database.rows<{ event_id: string }>(`select event_id from outbox where event_id = any($1::uuid[])`, [eventIds]);
  return rows.map((row) => row.event_id).sort();
}

describe('retention (deleteExpiredEvents)', () => {
  it('deletes published events older than the retention by publish time, and nothing else', async () => {
    const publishedLongAgo = await anEventThatWas({ createdAgo: '49 hours', publishedAgo: '25 hours' });
    const createdLongAgoPublishedRecently = await anEventThatWas({ createdAgo: '49 hours', publishedAgo: '1 hour' });
    const waitingForDays = await anEventThatWas({ createdAgo: '72 hours' });
    const deadLetterForDays = await anEventThatWas({ createdAgo: '72 hours', deadLetteredAgo: '71 hours' });
    const discardedLongAgo = await anEventThatWas({ createdAgo: '72 hours', deadLetteredAgo: '71 hours', discardedAgo: '25 hours' });
    const discardedRecently = await anEventThatWas({ createdAgo: '72 hours', deadLetteredAgo: '71 hours', discardedAgo: '1 hour' });
    const all = [publishedLongAgo, createdLongAgoPublishedRecently, waitingForDays, deadLetterForDays, discardedLongAgo, discardedRecently];

    const deleted = await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 100 });

    expect(deleted).toBe(2);
    expect(await remainingOf(all)).toEqual([createdLongAgoPublishedRecently, waitingForDays, deadLetterForDays, discardedRecently].sort());
  });

  it('deletes in bounded batches, oldest publish time first', async () => {
    const expired = [];
    for (const hours of [30, 29, 28, 27, 26]) expired.push(await anEventThatWas({ createdAgo: `${hours + 1} hours`, publishedAgo: `${hours} hours` }));

    expect(await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 2 })).toBe(2);
    expect(await remainingOf(expired)).toEqual(expired.slice(2).sort());
    expect(await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 2 })).toBe(2);
    expect(await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 2 })).toBe(1);
    expect(await remainingOf(expired)).toEqual([]);
  });
});
