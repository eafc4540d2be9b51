import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../../src/outbox/enqueue.ts';
import { eventually } from '../../support/eventually.ts';
import { aTopicName, readTopic } from '../../support/kafka.ts';
import { openTransaction } from '../../support/open-transaction.ts';
import { anAuditEvent } from '../../support/outbox-events.ts';
import { startTestRelay, waitUntilReady } from '../../support/relay.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

async function outboxIdOf(eventId: string): Promise<bigint> {
  const rows = await database.rows<{ id: string }>(`select id from outbox where event_id = $1`, [eventId]);
  return BigInt(rows[0]!.id);
}

describe('relay: transactions committing out of id order', () => {
  it('publishes the event of a transaction that took its id first and committed last, and keeps its chat in commit order', async () => {
    const chatX = randomUUID();
    const early = anAuditEvent({ chatId: chatX });
    const otherChat = anAuditEvent();
    const laterInX = anAuditEvent({ chatId: chatX });
    const topic = aTopicName();
    const relay = await startTestRelay({ databaseUrl: database.databaseUrl, topic });
    await waitUntilReady(relay);

    // A takes the lower id and stays open.
    const a = await openTransaction(database.orm);
    await a.run((tx) => enqueue(tx, early));
    // B, another chat, commits meanwhile and is published while A is still open.
    const b = await openTransaction(database.orm);
    await b.run((tx) => enqueue(tx, otherChat));
    await b.commit();
    await eventually(async () => expect(await database.isPublished(otherChat.eventId)).toBe(true), { timeoutMs: 20_000 });
    // C, same chat as A, starts while A is open: it waits for A's chat lock.
    const c = await openTransaction(database.orm);
    const cEnqueued = c.run((tx) => enqueue(tx, laterInX));
    await a.commit();
    await cEnqueued;
    await c.commit();

    const records = await readTopic(topic, { count: 3, timeoutMs: 30_000 });
    await relay.stop();

    expect(await outboxIdOf(early.eventId)).toBeLessThan(await outboxIdOf(otherChat.eventId));
    const chatXEvents = records.filter((record) => record.key === chatX).map((record) => record.headers['event-id']);
    expect(chatXEvents).toEqual([early.eventId, laterInX.eventId]);
    expect(records.map((record) => record.headers['event-id']).sort()).toEqual([early.eventId, otherChat.eventId, laterInX.eventId].sort());
  });
});
