import { Kafka, logLevel, Partitioners, type Message, type Producer, type RetryOptions } from 'kafkajs';
import type { Logger } from '../logger.ts';

/** Sends audit records to the topic and owns the producer's life cycle. */
export type KafkaPublisher = {
  /** Resolves once the broker acknowledged every record (acks=all); rejects otherwise. */
  send(messages: Message[]): Promise<void>;
  /** Connects (creating the topic if missing) unless already connected; rejects while Kafka is down. */
  ensureConnected(): Promise<void>;
  /** True while a connected producer is in use (the last send or connect succeeded). */
  readonly isConnected: boolean;
  close(): Promise<void>;
};

/** Options of {@link createKafkaPublisher}. */
export type KafkaPublisherOptions = {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Partitions of the topic when the relay creates it. */
  readonly topicPartitions: number;
  readonly logger: Logger;
};

// Bounded, unlike kafkajs's default for idempotent producers (retry forever): a send must end
// well within the lease (default 30 s) so the relay records the failure, backs off in SQL and
// keeps settling other batches. Worst case about 4 × 5 s request timeout plus 3 s of waits.
const sendRetry: RetryOptions = { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 };

type ProducerSlot = { readonly producer: Producer; readonly connected: Promise<void>; pending: number; isRetired: boolean };

/**
 * An idempotent kafkajs producer (acks=all, one request in flight) behind `send`. A producer that
 * failed a send is retired and the next send gets a fresh one: a failed multi-partition request
 * may have been written in part, and kafkajs would then reuse sequence numbers the broker
 * already saw (OUT_OF_ORDER_SEQUENCE_NUMBER forever). A new producer id starts clean.
 */
export function createKafkaPublisher(options: KafkaPublisherOptions): KafkaPublisher {
  const kafka = new Kafka({
    clientId: 'mini-chat-relay',
    brokers: [...options.brokers],
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    retry: sendRetry,
    logCreator: kafkaLogTo(options.logger),
  });
  let current: ProducerSlot | undefined;
  let isTopicReady = false;
  let isHealthy = false;

  const ensureTopic = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      // asked first: creating an existing topic works but makes kafkajs log an error
      if ((await admin.listTopics()).includes(options.topic)) return;
      // kafkajs speaks CreateTopics v3, which has no "broker default" replication factor (-1):
      // three replicas where the cluster has them, fewer on a smaller (development) cluster.
      const replicationFactor = Math.min(3, (await admin.describeCluster()).brokers.length);
      const topic = { topic: options.topic, numPartitions: options.topicPartitions, replicationFactor };
      const isCreated = await admin.createTopics({ topics: [topic], waitForLeaders: true });
      if (isCreated) options.logger.info(topic, 'created the audit topic');
    } finally {
      await admin.disconnect();
    }
  };

  const retire = (slot: ProducerSlot) => {
    if (current === slot) {
      current = undefined;
      isHealthy = false;
    }
    slot.isRetired = true;
    if (slot.pending === 0) void slot.producer.disconnect().catch(() => undefined);
  };

  const open = (): ProducerSlot => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: sendRetry,
      allowAutoTopicCreation: false,
      // murmur2 of the key, as Java clients do: a chat lands in the partition any client expects
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const connected = (async () => {
      await producer.connect();
      if (!isTopicReady) await ensureTopic();
      isTopicReady = true;
      isHealthy = true;
    })();
    const slot: ProducerSlot = { producer, connected, pending: 0, isRetired: false };
    connected.catch(() => retire(slot));
    return slot;
  };

  return {
    async send(messages) {
      const slot = (current ??= open());
      slot.pending += 1;
      try {
        await slot.connected;
        await slot.producer.send({ topic: options.topic, messages, acks: -1 });
      } catch (error) {
        retire(slot);
        throw error;
      } finally {
        slot.pending -= 1;
        if (slot.isRetired && slot.pending === 0) void slot.producer.disconnect().catch(() => undefined);
      }
    },
    async ensureConnected() {
      await (current ??= open()).connected;
    },
    get isConnected() {
      return isHealthy;
    },
    async close() {
      const slot = current;
      current = undefined;
      isHealthy = false;
      if (slot === undefined) return;
      await slot.connected.catch(() => undefined);
      await slot.producer.disconnect();
    },
  };
}

// kafkajs logs every retried connection failure as an error; the relay logs the outcome once per
// batch, so kafkajs's own lines go one level down.
function kafkaLogTo(logger: Logger) {
  return () =>
    ({ namespace, level, log }: { namespace: string; level: logLevel; log: { message: string; [key: string]: unknown } }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { component: 'kafkajs', namespace, ...fields };
      if (level === logLevel.ERROR) logger.warn(entry, message);
      else if (level === logLevel.WARN) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}
