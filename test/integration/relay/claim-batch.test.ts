import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimBatch } from '../../../relay/sql/claim-batch.ts';
import { markPublished, progressOf } from '../../../relay/sql/mark-published.ts';
import { reclaimExpiredLeases } from '../../../relay/sql/reclaim-expired-leases.ts';
import { scheduleRetry } from '../../../relay/sql/schedule-retry.ts';
import { anAuditEvent, enqueueInOneTransaction } from '../../support/outbox-events.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

const leaseMs = 60_000;

// Tests share the database: a claim may take chats of earlier tests, so each claim is filtered
// to the test's own chats and gives the others back.
async function claim(instanceId: string, chatIds: readonly string[], batchSize = 100) {
  const events = await claimBatch(database.pool, { instanceId, batchSize, maxChats: batchSize, leaseMs });
  await database.rows(`update outbox_chats set locked_until = null, locked_by = null where locked_by = $1 and chat_id <> all($2::uuid[])`, [instanceId, chatIds]);
  return events.filter((event) => chatIds.includes(event.chatId));
}

async function aChatWithEvents(count: number) {
  const chatId = randomUUID();
  const events = Array.from({ length: count }, () => anAuditEvent({ chatId }));
  await enqueueInOneTransaction(database.orm, events);
  return { chatId, eventIds: events.map((event) => event.eventId) };
}

describe('claimBatch', () => {
  it('claims the next events of each ready chat, grouped by chat, each chat in chat_seq order', async () => {
    const a = await aChatWithEvents(3);
    const b = await aChatWithEvents(2);

    const claimed = await claim('relay-a', [a.chatId, b.chatId]);

    const perChat = (chatId: string) => claimed.filter((event) => event.chatId === chatId).map((event) => [event.eventId, event.chatSeq]);
    expect(perChat(a.chatId)).toEqual(a.eventIds.map((eventId, index) => [eventId, index + 1]));
    expect(perChat(b.chatId)).toEqual(b.eventIds.map((eventId, index) => [eventId, index + 1]));
    expect(new Set(claimed.map((event) => event.chatId)).size).toBe(2);
    expect(claimed.findIndex((event) => event.chatId === a.chatId) + 3).toBe(claimed.findLastIndex((event) => event.chatId === a.chatId) + 1);
  });

  it('serves the chat that has been ready the longest first when the batch has no room for all', async () => {
    await database.rows(`update outbox_chats set published_seq = last_seq`);
    const later = await aChatWithEvents(2);
    const earlier = await aChatWithEvents(2);
    await database.rows(`update outbox_chats set ready_at = now() - interval '1 minute' where chat_id = $1`, [earlier.chatId]);

    const claimed = await claim('relay-a', [later.chatId, earlier.chatId], 2);

    expect(claimed.map((event) => event.eventId)).toEqual(earlier.eventIds);
  });

  it('gives a chat to one instance at a time: a second instance gets other chats only', async () => {
    const a = await aChatWithEvents(2);
    await claim('relay-a', [a.chatId]);
    const b = await aChatWithEvents(1);
    await enqueueInOneTransaction(database.orm, [anAuditEvent({ chatId: a.chatId })]);

    const claimedBySecond = await claim('relay-b', [a.chatId, b.chatId]);

    expect(claimedBySecond.map((event) => event.eventId)).toEqual(b.eventIds);
  });

  it('hands a chat on after its claim is marked published, starting with the event committed meanwhile', async () => {
    const a = await aChatWithEvents(2);
    const first = await claim('relay-a', [a.chatId]);
    const late = anAuditEvent({ chatId: a.chatId });
    await enqueueInOneTransaction(database.orm, [late]);
    expect(await claim('relay-b', [a.chatId])).toEqual([]);

    await markPublished(database.pool, { instanceId: 'relay-a', progress: progressOf(first) });

    expect((await claim('relay-b', [a.chatId])).map((event) => [event.eventId, event.chatSeq])).toEqual([[late.eventId, 3]]);
  });

  it('claims no more than the batch size and continues the chat where the previous batch ended', async () => {
    // earlier tests' chats would fill the small batches
    await database.rows(`update outbox_chats set published_seq = last_seq`);
    const a = await aChatWithEvents(5);
    const first = await claim('relay-a', [a.chatId], 3);
    await markPublished(database.pool, { instanceId: 'relay-a', progress: progressOf(first) });

    const second = await claim('relay-a', [a.chatId], 3);

    expect(first.map((event) => event.eventId)).toEqual(a.eventIds.slice(0, 3));
    expect(second.map((event) => event.eventId)).toEqual(a.eventIds.slice(3));
  });

  it('holds back a chat whose next event is backing off, and only that chat', async () => {
    const a = await aChatWithEvents(2);
    const b = await aChatWithEvents(1);
    const [head] = await claim('relay-a', [a.chatId]);
    await scheduleRetry(database.pool, { instanceId: 'relay-a', maxAttempts: 10, failures: [{ id: head!.id, error: 'broker down', isPermanent: false }] });

    expect((await claim('relay-a', [a.chatId, b.chatId])).map((event) => event.eventId)).toEqual(b.eventIds);

    await database.rows(`update outbox_chats set ready_at = now() - interval '1 second' where chat_id = $1`, [a.chatId]);
    expect((await claim('relay-a', [a.chatId])).map((event) => event.eventId)).toEqual(a.eventIds);
  });

  it('frees the chats of an instance whose lease expired, and only expired leases', async () => {
    const crashed = await aChatWithEvents(2);
    const alive = await aChatWithEvents(1);
    await claim('relay-crashed', [crashed.chatId]);
    await claim('relay-alive', [alive.chatId]);
    await database.rows(`update outbox_chats set locked_until = now() - interval '1 second' where locked_by = 'relay-crashed'`);

    const reclaimed = await reclaimExpiredLeases(database.pool);

    expect(reclaimed).toEqual([{ instanceId: 'relay-crashed', chats: 1 }]);
    expect((await claim('relay-b', [crashed.chatId, alive.chatId])).map((event) => event.eventId)).toEqual(crashed.eventIds);
  });
});
