import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimBatch } from '../../../relay/sql/claim-batch.ts';
import { markPublished, progressOf } from '../../../relay/sql/mark-published.ts';
import { anAuditEvent, enqueueInOneTransaction } from '../../support/outbox-events.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

const chatCount = 40;
const eventsPerChat = 15;
const instanceCount = 4;

describe('claimBatch under concurrency', () => {
  it('never gives one chat to two instances at once and hands every chat out in commit order, while events keep committing', async () => {
    const chatIds = Array.from({ length: chatCount }, () => randomUUID());
    const expectedOrder = new Map<string, string[]>(chatIds.map((chatId) => [chatId, []]));
    const publishedOrder = new Map<string, string[]>(chatIds.map((chatId) => [chatId, []]));
    const holderOf = new Map<string, string>();
    const overlaps: string[] = [];
    let isEnqueueDone = false;

    // Four writers, one event per transaction, chats picked round-robin from different offsets,
    // so commits of one chat come from different writers and interleave with the claims.
    const writers = Array.from({ length: 4 }, async (_, writer) => {
      for (let n = writer; n < chatCount * eventsPerChat; n += 4) {
        const chatId = chatIds[n % chatCount]!;
        const event = anAuditEvent({ chatId });
        await enqueueInOneTransaction(database.orm, [event]);
      }
    });
    const enqueued = Promise.all(writers).then(() => (isEnqueueDone = true));

    const instances = Array.from({ length: instanceCount }, async (_, index) => {
      const instanceId = `relay-${index}`;
      for (;;) {
        const events = await claimBatch(database.pool, { instanceId, batchSize: 23, maxChats: 5, leaseMs: 60_000 });
        if (events.length === 0) {
          if (isEnqueueDone && (await database.unpublishedCount()) === 0) return;
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        const chats = new Set(events.map((event) => event.chatId));
        for (const chatId of chats) {
          const holder = holderOf.get(chatId);
          if (holder !== undefined) overlaps.push(`${chatId} held by ${holder} and ${instanceId}`);
          holderOf.set(chatId, instanceId);
        }
        for (const event of events) publishedOrder.get(event.chatId)?.push(event.eventId);
        await new Promise((resolve) => setImmediate(resolve));
        await markPublished(database.pool, { instanceId, progress: progressOf(events) });
        for (const chatId of chats) holderOf.delete(chatId);
      }
    });
    await Promise.all([enqueued, ...instances]);

    const committed = await database.rows<{ chat_id: string; event_id: string }>(
      `select chat_id, event_id from outbox where chat_id = any($1::uuid[]) order by chat_id, chat_seq`,
      [chatIds],
    );
    for (const row of committed) expectedOrder.get(row.chat_id)!.push(row.event_id);
    expect(overlaps).toEqual([]);
    expect(publishedOrder).toEqual(expectedOrder);
    expect(committed).toHaveLength(chatCount * eventsPerChat);
  });
});
