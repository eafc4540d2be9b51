// Prints the audit events of the Kafka topic as JSON lines, as they arrive:
//   npm run audit:tail                     new events only
//   npm run audit:tail -- --from-beginning everything the topic still holds
//   npm run audit:tail -- --metadata       each line {partition, offset, key, headers, event}
// Reads KAFKA_BROKERS (required) and AUDIT_TOPIC (default mini-chat.audit). Ctrl-C stops it.
// A consumer group of its own that commits nothing, so it never disturbs real consumers.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { DEFAULT_AUDIT_TOPIC } from '../src/outbox/outbox-schema.ts';

const { values } = parseArgs({ options: { 'from-beginning': { type: 'boolean', default: false }, metadata: { type: 'boolean', default: false } } });
const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').map((broker) => broker.trim()).filter(Boolean);
const topic = process.env['AUDIT_TOPIC']?.trim() || DEFAULT_AUDIT_TOPIC;
if (brokers.length === 0) {
  process.stderr.write('audit:tail: set KAFKA_BROKERS, e.g. KAFKA_BROKERS=127.0.0.1:9092 npm run audit:tail\n');
  process.exit(2);
}

// `npm run audit:tail | head` closes stdout early: that ends the tail, it is not an error
process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? 0 : 1));

const kafka = new Kafka({ clientId: 'mini-chat-audit-tail', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const topics = await admin.listTopics();
await admin.disconnect();
if (!topics.includes(topic)) {
  process.stderr.write(`audit:tail: topic ${topic} does not exist yet; the relay creates it when it starts (npm start with KAFKA_BROKERS, or npm run relay)\n`);
  process.exit(1);
}

const consumer = kafka.consumer({ groupId: `mini-chat-audit-tail-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 500 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: values['from-beginning'] });
process.stderr.write(`audit:tail: ${values['from-beginning'] ? 'all' : 'new'} events of ${topic} on ${brokers.join(',')}\n`);
await consumer.run({ autoCommit: false, eachMessage: async ({ partition, message }) => void process.stdout.write(`${lineOf(partition, message)}\n`) });

const stop = async () => {
  await consumer.disconnect();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

function lineOf(partition: number, message: KafkaMessage): string {
  const value = message.value?.toString('utf8') ?? 'null';
  if (!values.metadata) return value;
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, header]) => [name, String(Array.isArray(header) ? header.at(-1) : header)]));
  return JSON.stringify({ partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, headers, event: JSON.parse(value) as unknown });
}
