import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';
import { inject } from 'vitest';
import { startLocalKafka, type LocalKafka } from '../../scripts/kafka/local-kafka.ts';

/** One record as a test reads it back: everything as strings, headers by name. */
export type KafkaRecord = {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly partition: number;
  readonly offset: string;
};

/** The `KAFKA_BROKERS` of the run: the broker `global-setup.ts` started, or the one given. */
export function kafkaBrokers(): string {
  return inject('kafkaBrokers');
}

/** A kafkajs client for tests; silent, because failures reach the test as rejected promises. */
export function testKafkaClient(brokers: string = kafkaBrokers()): Kafka {
  return new Kafka({ clientId: 'mini-chat-test', brokers: [brokers], logLevel: logLevel.NOTHING });
}

/** A fresh topic name, `audit-<random>`, not created: for tests of whoever creates it. */
export function aTopicName(): string {
  return `audit-${randomBytes(6).toString('hex')}`;
}

/** Creates a topic of this test's own (`audit-<random>`, 3 partitions by default) and returns its name. */
export async function aTopic(options: { partitions?: number; brokers?: string } = {}): Promise<string> {
  const topic = aTopicName();
  const admin = testKafkaClient(options.brokers).admin();
  await admin.connect();
  try {
    const isCreated = await admin.createTopics({
      topics: [{ topic, numPartitions: options.partitions ?? 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    if (!isCreated) throw new Error(`topic ${topic} already existed`);
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/**
 * Reads `topic` from the beginning with a consumer group of its own until at least `count`
 * records arrived, then returns them ordered by partition and offset (so per-key order is the
 * produced order). Rejects after `timeoutMs`, saying how many had arrived.
 */
export async function readTopic(topic: string, options: { count: number; timeoutMs: number; brokers?: string }): Promise<KafkaRecord[]> {
  const consumer = testKafkaClient(options.brokers).consumer({ groupId: `read-${randomBytes(6).toString('hex')}` });
  const records: KafkaRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const keys = records.map((record) => record.key).join(', ');
        reject(new Error(`read ${records.length} of ${options.count} records from ${topic} within ${options.timeoutMs} ms (keys: ${keys})`));
      }, options.timeoutMs);
      // a retriable crash (a coordinator still loading after a broker restart) restarts the
      // consumer by itself; only one kafkajs gives up on is the test's failure
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart) return;
        clearTimeout(timer);
        reject(payload.error);
      });
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            records.push(toRecord(partition, message));
            if (records.length >= options.count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** How many records `topic` holds over all partitions (end minus start offsets), read without a consumer. */
export async function topicRecordCount(topic: string, options: { brokers?: string } = {}): Promise<number> {
  const admin = testKafkaClient(options.brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A broker of one test's own that it can take down and bring back, for outage tests. */
export type RestartableKafka = {
  /** `127.0.0.1:<port>`; the same before and after a restart. */
  readonly brokers: string;
  /** Shuts the broker down cleanly (SIGTERM); topics, records and offsets stay. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers. No-op when running. */
  start(): Promise<void>;
  /** Stops it if running and deletes its data. Call it in `afterAll`/`afterEach`. */
  close(): Promise<void>;
};

/**
 * Starts a dedicated single-node broker (own temporary data dir, own free port), apart from the
 * shared one of `kafkaBrokers()`, so a test can stop it without disturbing other test files.
 * Costs a JVM (about 5 s to start, up to 512 MiB heap): use one per test file, not per test.
 */
export async function restartableKafka(): Promise<RestartableKafka> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mini-chat-kafka-restartable-'));
  let running: LocalKafka | undefined = await startLocalKafka({ dataDir }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    brokers: running.brokers,
    async stop() {
      await running?.stop();
      running = undefined;
    },
    async start() {
      running ??= await startLocalKafka({ dataDir });
    },
    async close() {
      await running?.stop();
      running = undefined;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function toRecord(partition: number, message: KafkaMessage): KafkaRecord {
  return {
    key: message.key?.toString('utf8') ?? null,
    value: message.value?.toString('utf8') ?? null,
    headers: headersAsStrings(message.headers ?? {}),
    partition,
    offset: message.offset,
  };
}

function headersAsStrings(headers: IHeaders): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    // a repeated header keeps its last value, as Kafka's Headers.lastHeader reads it
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) strings[name] = last.toString();
  }
  return strings;
}
