// The local KRaft broker of the test setup, driven by kafkajs 2.2.4 exactly as the relay uses it.
// These are the checks behind the broker version chosen in docs/kafka.md: Kafka 4 dropped old
// protocol versions (KIP-896), so every kafkajs call the relay and the tests rely on is here.
import { randomUUID } from 'node:crypto';
import { Partitioners, type Message, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aTopic, kafkaBrokers, readTopic, restartableKafka, testKafkaClient, topicRecordCount, type RestartableKafka } from '../../support/kafka.ts';

/** The relay's producer settings: idempotent, one request in flight, so per-key order holds through retries. */
function anIdempotentProducer(brokers: string = kafkaBrokers()): Producer {
  return testKafkaClient(brokers).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** `perChat` events for each of `chats` chats, interleaved, shaped like the relay's records. */
function auditRecords(options: { chats: number; perChat: number }): Message[] {
  const chatIds = Array.from({ length: options.chats }, () => randomUUID());
  return Array.from({ length: options.chats * options.perChat }, (_, index) => {
    const chatId = chatIds[index % options.chats]!;
    const eventId = randomUUID();
    return {
      key: chatId,
      value: JSON.stringify({ event_id: eventId, chat_id: chatId, sequence: Math.floor(index / options.chats) }),
      headers: { 'event-id': eventId, 'event-type': 'turn_completed', 'content-type': 'application/json' },
    };
  });
}

async function publish(producer: Producer, topic: string, messages: Message[]): Promise<void> {
  await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
}

describe('the local Kafka broker with kafkajs', () => {
  let producer: Producer;

  beforeAll(async () => {
    producer = anIdempotentProducer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  it('creates a topic through the admin client with the partitions asked for', async () => {
    const topic = await aTopic({ partitions: 3 });

    const admin = testKafkaClient().admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics.map((t) => ({ name: t.name, partitions: t.partitions.length }))).toEqual([{ name: topic, partitions: 3 }]);
    } finally {
      await admin.disconnect();
    }
  });

  it('delivers a keyed batch from the idempotent acks=all producer with its headers, in order per key, to a fresh consumer group', async () => {
    const topic = await aTopic();
    const sent = auditRecords({ chats: 3, perChat: 4 });

    await publish(producer, topic, sent);
    const received = await readTopic(topic, { count: sent.length, timeoutMs: 20_000 });

    const byKey = (records: Array<Pick<Message, 'key' | 'value'>>, key: string) => records.filter((r) => String(r.key) === key).map((r) => r.value);
    for (const key of new Set(sent.map((m) => String(m.key)))) {
      expect(byKey(received, key)).toEqual(byKey(sent, key));
      expect(new Set(received.filter((r) => r.key === key).map((r) => r.partition)).size).toBe(1);
    }
    expect(received.map((r) => r.headers)).toEqual(expect.arrayContaining(sent.map((m) => m.headers)));
    expect(received).toHaveLength(sent.length);
  });

  it('reports per-partition end offsets that add up to the records published', async () => {
    const topic = await aTopic({ partitions: 3 });

    await publish(producer, topic, auditRecords({ chats: 5, perChat: 2 }));

    expect(await topicRecordCount(topic)).toBe(10);
  });

  it("refuses a record over the broker's default 1 MiB message.max.bytes with a non-retriable MESSAGE_TOO_LARGE", async () => {
    const topic = await aTopic({ partitions: 1 });

    const sending = publish(producer, topic, [{ key: randomUUID(), value: 'x'.repeat(1_100_000) }]);

    await expect(sending).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE', retriable: false });
  });
});

describe('a restartable Kafka broker', () => {
  let kafka: RestartableKafka;

  beforeAll(async () => {
    kafka = await restartableKafka();
  });

  afterAll(async () => {
    await kafka.close();
  });

  // 90 s: a restart is a JVM start, 3-4 s on an idle machine but over 15 s seen on a busy 2-core one
  it('keeps the records committed before a stop, and takes new ones on the same address after start', async () => {
    const topic = await aTopic({ brokers: kafka.brokers });
    const before = auditRecords({ chats: 2, perChat: 3 });
    const after = auditRecords({ chats: 2, perChat: 1 });
    const producer = anIdempotentProducer(kafka.brokers);
    await producer.connect();
    try {
      await publish(producer, topic, before);
      await kafka.stop();
      await kafka.start();
      // the producer connected before the outage reconnects by itself, as the relay's must
      await publish(producer, topic, after);
    } finally {
      await producer.disconnect();
    }

    const received = await readTopic(topic, { count: before.length + after.length, timeoutMs: 20_000, brokers: kafka.brokers });

    expect(received.map((r) => r.value).sort()).toEqual([...before, ...after].map((m) => m.value).sort());
  }, 90_000);
});
