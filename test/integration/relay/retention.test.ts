import { randomUUID } from 'node:crypto';
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

/** A chat with `count` events created `createdAgo` ago; returns their event ids in chat order. */
async function aChat(count: number, createdAgo = '72 hours') {
  const chatId = randomUUID();
  const events = Array.from({ length: count }, () => anAuditEvent({ chatId }));
  await enqueueInOneTransaction(database.orm, events);
  await database.rows(`update outbox set created_at = now() - $2::interval where chat_id = $1`, [chatId, createdAgo]);
  return { chatId, eventIds: events.map((event) => event.eventId) };
}

/** Records, as the relay does, that the chat's events up to `upToSeq` were published `ago`. */
async function publishedUpTo(chatId: string, upToSeq: number, ago: string) {
  await database.rows(`update outbox_chats set published_seq = greatest(published_seq, $2) where chat_id = $1`, [chatId, upToSeq]);
  await database.rows(`insert into outbox_publications (chat_id, up_to_seq, published_at) values ($1, $2, now() - $3::interval)`, [chatId, upToSeq, ago]);
}

async function remainingOf(eventIds: readonly string[]): Promise<string[]> {
  const rows = await database.rows<{ event_id: string }>(`select event_id from outbox where event_id = any($1::uuid[]) order by chat_seq`, [eventIds]);
  return rows.map((row) => row.event_id);
}

describe('retention (deleteExpiredEvents)', () => {
  it('deletes the events published longer ago than the retention, by publish time, and keeps the rest', async () => {
    const partly = await aChat(3);
    await publishedUpTo(partly.chatId, 2, '25 hours');
    await publishedUpTo(partly.chatId, 3, '1 hour');
    const waitingForDays = await aChat(2);
    const deadLetterForDays = await aChat(2);
    await database.rows(`update outbox set dead_lettered_at = now() - interval '71 hours' where event_id = $1`, [deadLetterForDays.eventIds[0]]);
    const createdLongAgoPublishedRecently = await aChat(1, '49 hours');
    await publishedUpTo(createdLongAgoPublishedRecently.chatId, 1, '1 hour');

    const deleted = await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 100 });

    expect(deleted).toBe(2);
    expect(await remainingOf(partly.eventIds)).toEqual(partly.eventIds.slice(2));
    expect(await remainingOf(waitingForDays.eventIds)).toEqual(waitingForDays.eventIds);
    expect(await remainingOf(deadLetterForDays.eventIds)).toEqual(deadLetterForDays.eventIds);
    expect(await remainingOf(createdLongAgoPublishedRecently.eventIds)).toEqual(createdLongAgoPublishedRecently.eventIds);
    expect(await database.rows(`select up_to_seq from outbox_publications where chat_id = $1`, [partly.chatId])).toEqual([{ up_to_seq: 3 }]);
  });

  it('deletes a discarded dead letter the retention after its discard, not before', async () => {
    const discardedLongAgo = await aChat(1);
    const discardedRecently = await aChat(1);
    await database.rows(`update outbox set dead_lettered_at = now() - interval '71 hours', discarded_at = now() where chat_id = any($1::uuid[])`, [
      [discardedLongAgo.chatId, discardedRecently.chatId],
    ]);
    await publishedUpTo(discardedLongAgo.chatId, 1, '25 hours');
    await publishedUpTo(discardedRecently.chatId, 1, '1 hour');

    await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 100 });

    expect(await remainingOf([...discardedLongAgo.eventIds, ...discardedRecently.eventIds])).toEqual(discardedRecently.eventIds);
  });

  it('deletes in bounded batches, oldest publication first', async () => {
    const chats = [];
    for (const hours of [30, 29, 28, 27, 26]) {
      const chat = await aChat(2);
      await publishedUpTo(chat.chatId, 2, `${hours} hours`);
      chats.push(chat);
    }
    const all = chats.flatMap((chat) => chat.eventIds);

    expect(await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 2 })).toBe(4);
    expect(await remainingOf(all)).toEqual(expect.arrayContaining(chats.slice(2).flatMap((chat) => chat.eventIds)));
    expect(await remainingOf(all)).toHaveLength(6);
    expect(await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 2 })).toBe(4);
    expect(await deleteExpiredEvents(database.pool, { retentionMs: dayMs, limit: 2 })).toBe(2);
    expect(await remainingOf(all)).toEqual([]);
  });
});
