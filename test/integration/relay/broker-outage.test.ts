import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { aTopic, readTopic, restartableKafka, topicRecordCount, type RestartableKafka } from '../../support/kafka.ts';
import { startTestRelay, waitUntilReady } from '../../support/relay.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';
import { startSteadyWriter } from '../../support/steady-writer.ts';
import { firstOccurrencesPerChat, perChatOrder } from '../../support/topic-order.ts';

let database: RelayTestDatabase;
let kafka: RestartableKafka;

beforeAll(async () => {
  [database, kafka] = await Promise.all([createRelayTestDatabase(), restartableKafka()]);
});

afterAll(async () => {
  await Promise.all([database?.drop(), kafka?.close()]);
});

// How long the broker stays down: the 20 s, longer than the relay's lease (10 s here)
// and than several doublings of its backoff.
const outageMs = 20_000;

async function counts() {
  return { published: (await database.publishedEventIds()).length, waiting: await database.unpublishedCount() };
}

async function readiness(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/ready`)).status;
}

describe('relay: the Kafka broker goes away for 20 s', () => {
  it('keeps retrying, reports not ready, and publishes every event in chat order once the broker is back', { timeout: 150_000 }, async () => {
    const topic = await aTopic({ brokers: kafka.brokers });
    const relay = await startTestRelay({
      databaseUrl: database.databaseUrl,
      topic,
      env: { KAFKA_BROKERS: kafka.brokers, RELAY_LEASE: '10s', RELAY_BATCH_SIZE: '50' },
    });
    await waitUntilReady(relay);
    const writer = startSteadyWriter(database.orm, { chatCount: 20, eventsPerTransaction: 3, intervalMs: 50 });
    await eventually(async () => expect((await counts()).published).toBeGreaterThanOrEqual(100), { timeoutMs: 30_000, intervalMs: 100 });

    await kafka.stop();
    await eventually(async () => expect(await readiness(relay.metricsPort)).toBe(503), { timeoutMs: 30_000, intervalMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    expect((await counts()).waiting).toBeGreaterThan(0);
    await kafka.start();
    await waitUntilReady(relay, 60_000);
    const committed = await writer.stop();
    await eventually(async () => expect((await counts()).waiting).toBe(0), { timeoutMs: 60_000, intervalMs: 200 });
    await relay.stop();

    const records = await readTopic(topic, { count: await topicRecordCount(topic, { brokers: kafka.brokers }), timeoutMs: 60_000, brokers: kafka.brokers });
    const rows = await database.rows<{ chat_id: string; event_id: string }>(`select chat_id, event_id from outbox order by chat_id, chat_seq`);
    const seen = firstOccurrencesPerChat(records);
    expect(rows).toHaveLength(committed.length);
    expect(seen.differingDuplicates).toEqual([]);
    expect(seen.perChat).toEqual(perChatOrder(rows));
  });
});
