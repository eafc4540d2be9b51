import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { openOrm } from '../../src/db/orm.ts';
import { runInTransaction } from '../../src/db/transaction.ts';
import { enqueue } from '../../src/outbox/enqueue.ts';
import { anAuditEvent } from '../../test/support/outbox-events.ts';
import { percentile } from '../percentile.ts';
import { createBenchTopic, startBenchRelay, type RelayBenchEnvironment } from './relay-bench-environment.ts';

/** Commit-to-publish latency at one rate. */
export type RelayLatency = {
  readonly eventsPerSecond: number;
  readonly events: number;
  /** From COMMIT returning to the relay marking the event published (after Kafka's acknowledgement). */
  readonly toPublishedMs: { readonly p50: number; readonly p99: number };
  /** From COMMIT returning to a consumer receiving the record. */
  readonly toConsumedMs: { readonly p50: number; readonly p99: number };
};

const chatCount = 200;
const tickMs = 10;

/**
 * Commits one event per transaction (through `enqueue`, as the service does, chats at random)
 * at `eventsPerSecond` for `durationMs`, with the relay running as its own process (default
 * settings: batch 500, poll 1 s, woken by NOTIFY) and a consumer reading the topic.
 */
export async function measureRelayLatency(env: RelayBenchEnvironment, options: { eventsPerSecond: number; durationMs: number }): Promise<RelayLatency> {
  const topic = await createBenchTopic(env.kafka, `bench-latency-${randomBytes(4).toString('hex')}`);
  const consumed = new Map<string, number>();
  const consumer = env.kafka.consumer({ groupId: `bench-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void consumed.set(String(message.headers?.['event-id']), Date.now()) });
  const relay = await startBenchRelay(env, topic);
  const orm = await openOrm({ databaseUrl: env.databaseUrl });
  const committedAt = new Map<string, number>();
  try {
    const chatIds = Array.from({ length: chatCount }, () => randomUUID());
    const perTick = (options.eventsPerSecond * tickMs) / 1000;
    const writes: Promise<void>[] = [];
    const startedAt = Date.now();
    for (let tick = 0, due = 0; Date.now() - startedAt < options.durationMs; tick += 1) {
      for (due += perTick; due >= 1; due -= 1) {
        const event = anAuditEvent({ chatId: chatIds[Math.floor(Math.random() * chatCount)]!, payloadBytes: 500 });
        writes.push(runInTransaction(orm.em, (tx) => enqueue(tx, event)).then(() => void committedAt.set(event.eventId, Date.now())));
      }
      // paced by the wall clock, so a slow tick does not lower the rate
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + (tick + 1) * tickMs - Date.now())));
    }
    await Promise.all(writes);
    const deadline = Date.now() + 60_000;
    while (consumed.size < committedAt.size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const published = await publishedTimes(env.databaseUrl, [...committedAt.keys()]);
    const toPublished = [...committedAt].map(([eventId, at]) => published.get(eventId)! - at);
    const toConsumed = [...committedAt].map(([eventId, at]) => (consumed.get(eventId) ?? Number.NaN) - at);
    return {
      eventsPerSecond: options.eventsPerSecond,
      events: committedAt.size,
      toPublishedMs: { p50: percentile(toPublished, 50), p99: percentile(toPublished, 99) },
      toConsumedMs: { p50: percentile(toConsumed, 50), p99: percentile(toConsumed, 99) },
    };
  } finally {
    await relay.stop();
    await consumer.disconnect();
    await orm.close();
  }
}

async function publishedTimes(databaseUrl: string, eventIds: readonly string[]): Promise<Map<string, number>> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // an event's publish time is that of the first publication of its chat that covers it
    const { rows } = await db.query<{ event_id: string; ms: number }>(
      `select e.event_id, (extract(epoch from min(p.published_at)) * 1000)::float8 as ms
         from outbox e join outbox_publications p on p.chat_id = e.chat_id and p.up_to_seq >= e.chat_seq
        where e.event_id = any($1::uuid[])
        group by e.event_id`,
      [eventIds],
    );
    return new Map(rows.map((row) => [row.event_id, row.ms]));
  } finally {
    await db.end();
  }
}
