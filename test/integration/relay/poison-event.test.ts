import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { aTopic, readTopic, testKafkaClient, topicRecordCount } from '../../support/kafka.ts';
import { anAuditEvent, enqueueInOneTransaction } from '../../support/outbox-events.ts';
import { scrapeMetrics, startTestRelay, waitUntilReady, type TestRelay } from '../../support/relay.ts';
import { runRelayCli } from '../../support/relay-cli.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';
import { firstOccurrencesPerChat } from '../../support/topic-order.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

// Over the broker's message.max.bytes (Kafka's default, 1 MiB, which the test broker keeps).
const poisonBytes = 1_200_000;

async function stateOf(eventId: string) {
  const rows = await database.rows<{ id: string; attempts: number; dead: boolean; last_error: string | null }>(
    `select id, attempts, dead_lettered_at is not null as dead, last_error from outbox where event_id = $1`,
    [eventId],
  );
  return { ...rows[0]!, published: await database.isPublished(eventId) };
}

async function unpublished(events: ReadonlyArray<{ eventId: string }>): Promise<string[]> {
  const published = new Set(await database.publishedEventIds());
  return events.map((event) => event.eventId).filter((eventId) => !published.has(eventId));
}

/** A chat whose second event is too large for Kafka, plus busy neighbouring chats. */
async function aPoisonedChatAmongOthers() {
  const chatId = randomUUID();
  const [before, poison, after] = [anAuditEvent({ chatId }), anAuditEvent({ chatId, payloadBytes: poisonBytes }), anAuditEvent({ chatId })];
  const others = Array.from({ length: 30 }, () => anAuditEvent());
  await enqueueInOneTransaction(database.orm, [before, poison, after]);
  for (const event of others) await enqueueInOneTransaction(database.orm, [event]);
  return { chatId, before, poison, after, others };
}

async function deadLetterGauge(relay: TestRelay): Promise<number> {
  return Number(/^mini_chat_outbox_dead_letters (\d+)/m.exec(await scrapeMetrics(relay))?.[1]);
}

describe('relay: an event Kafka refuses (poison)', () => {
  it('dead-letters it after RELAY_MAX_ATTEMPTS, publishes every other chat, holds back only its own chat until discarded', { timeout: 90_000 }, async () => {
    const topic = await aTopic();
    const relay = await startTestRelay({ databaseUrl: database.databaseUrl, topic, env: { RELAY_MAX_ATTEMPTS: '3', RELAY_LEASE: '3s' } });
    await waitUntilReady(relay);
    const chat = await aPoisonedChatAmongOthers();

    await eventually(async () => expect(await stateOf(chat.poison.eventId)).toMatchObject({ dead: true, attempts: 3 }), { timeoutMs: 30_000, intervalMs: 100 });
    await eventually(async () => expect(await unpublished([chat.before, ...chat.others])).toEqual([]), { timeoutMs: 30_000, intervalMs: 100 });
    expect(await eventIdsIn(topic)).toEqual([chat.before, ...chat.others].map((event) => event.eventId).sort());
    expect(await stateOf(chat.poison.eventId)).toMatchObject({ published: false, last_error: expect.stringContaining('MESSAGE_TOO_LARGE') });
    expect(await stateOf(chat.after.eventId)).toMatchObject({ published: false, attempts: 0 });
    await eventually(async () => expect(await deadLetterGauge(relay)).toBe(1), { timeoutMs: 15_000, intervalMs: 200 });
    expect(await scrapeMetrics(relay)).toMatch(/^mini_chat_outbox_publish_errors_total\{reason="refused"\} 3$/m);

    const listed = await runRelayCli(['dead-letters', 'list'], { databaseUrl: database.databaseUrl });
    expect(listed.code).toBe(0);
    const deadLetters = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(deadLetters).toEqual([
      expect.objectContaining({ eventId: chat.poison.eventId, chatId: chat.chatId, attempts: 3, eventsHeldBack: 1, lastError: expect.stringContaining('MESSAGE_TOO_LARGE') }),
    ]);

    const discarded = await runRelayCli(['dead-letters', 'discard', String(deadLetters[0]!['id'])], { databaseUrl: database.databaseUrl });
    expect(discarded).toMatchObject({ code: 0 });
    await eventually(async () => expect(await stateOf(chat.after.eventId)).toMatchObject({ published: true }), { timeoutMs: 15_000, intervalMs: 100 });
    await eventually(async () => expect(await deadLetterGauge(relay)).toBe(0), { timeoutMs: 15_000, intervalMs: 200 });
    await relay.stop();

    expect(await runRelayCli(['dead-letters', 'list'], { databaseUrl: database.databaseUrl })).toMatchObject({ code: 0, stdout: '' });
    expect(await runRelayCli(['dead-letters', 'discard', chat.poison.eventId], { databaseUrl: database.databaseUrl })).toMatchObject({ code: 1 });
    const { perChat } = firstOccurrencesPerChat(await readWholeTopic(topic));
    expect(perChat.get(chat.chatId)).toEqual([chat.before.eventId, chat.after.eventId]);
  });

  it('publishes a replayed dead letter once the cause is fixed, before the events of its chat that waited', { timeout: 90_000 }, async () => {
    const topic = await aTopic();
    const relay = await startTestRelay({ databaseUrl: database.databaseUrl, topic, env: { RELAY_MAX_ATTEMPTS: '2' } });
    await waitUntilReady(relay);
    const chat = await aPoisonedChatAmongOthers();
    await eventually(async () => expect(await stateOf(chat.poison.eventId)).toMatchObject({ dead: true, attempts: 2 }), { timeoutMs: 30_000, intervalMs: 100 });

    await raiseTopicMessageLimit(topic, 2 * poisonBytes);
    const replayed = await runRelayCli(['dead-letters', 'replay', chat.poison.eventId], { databaseUrl: database.databaseUrl });
    expect(replayed).toMatchObject({ code: 0 });
    await eventually(async () => expect(await stateOf(chat.after.eventId)).toMatchObject({ published: true }), { timeoutMs: 30_000, intervalMs: 100 });
    await relay.stop();

    const records = await readWholeTopic(topic);
    const { perChat } = firstOccurrencesPerChat(records);
    expect(perChat.get(chat.chatId)).toEqual([chat.before, chat.poison, chat.after].map((event) => event.eventId));
    const poisonRecord = records.find((record) => record.headers['event-id'] === chat.poison.eventId);
    expect(JSON.parse(poisonRecord!.value!)).toEqual(chat.poison.payload);
  });
});

/** Every record of the topic (duplicates included: a refused batch may have been written in part). */
async function readWholeTopic(topic: string) {
  return readTopic(topic, { count: await topicRecordCount(topic), timeoutMs: 30_000 });
}

/** The distinct event ids the topic holds, sorted. */
async function eventIdsIn(topic: string): Promise<string[]> {
  return [...new Set((await readWholeTopic(topic)).map((record) => record.headers['event-id']!))].sort();
}

/** What an operator does to fix this kind of poison: let the topic take larger records. */
async function raiseTopicMessageLimit(topic: string, bytes: number): Promise<void> {
  const admin = testKafkaClient().admin();
  await admin.connect();
  try {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }] });
  } finally {
    await admin.disconnect();
  }
}
