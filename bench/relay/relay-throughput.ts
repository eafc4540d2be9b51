import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import pg from 'pg';
import { auditRecordOf } from '../../relay/kafka/audit-record.ts';
import type { ClaimedEvent } from '../../relay/sql/claim-batch.ts';
import { OUTBOX_NOTIFY_CHANNEL } from '../../src/outbox/outbox-schema.ts';
import { createBenchTopic, startBenchRelay, type RelayBenchEnvironment } from './relay-bench-environment.ts';

/** One round: the relay and a raw kafkajs producer sending the same records in the same batches. */
export type RelayThroughput = {
  readonly events: number;
  readonly payloadBytes: number;
  readonly relayEventsPerSecond: number;
  readonly rawEventsPerSecond: number;
};

const batchSize = 500;

// A 500-byte JSON object per event (the relay treats the value as opaque; real events are
// 400-600 bytes): ids and type like an audit event, `padding` to the size.
const eventJsonSql = (pad: string) => `jsonb_build_object(
  'event_id', e.event_id, 'event_type', 'turn_completed', 'schema_version', 1,
  'tenant_id', e.tenant_id, 'chat_id', e.chat_id, 'padding', repeat('x', ${pad}))`;

/**
 * Seeds `chats × eventsPerChat` events of 500 bytes straight into the outbox (as enqueue would
 * leave them, but in one statement), held back (`ready_at = infinity`) until the clock starts.
 * Returns the average size of the event JSON.
 */
async function seedBacklog(db: pg.Client, options: { chats: number; eventsPerChat: number }): Promise<number> {
  const sample = `(select gen_random_uuid() as event_id, gen_random_uuid() as tenant_id, gen_random_uuid() as chat_id) e`;
  const { rows } = await db.query<{ bytes: number }>(`select octet_length(${eventJsonSql('0')}::text) as bytes from ${sample}`);
  const pad = Math.max(0, 500 - rows[0]!.bytes);
  await db.query('truncate outbox, outbox_chats, outbox_publications');
  await db.query(
    `insert into outbox (event_id, event_type, tenant_id, chat_id, chat_seq, payload)
     select e.event_id, 'turn_completed', e.tenant_id, e.chat_id, e.seq, ${eventJsonSql('$3')}
       from (select gen_random_uuid() as event_id, c.tenant_id, c.chat_id, s.seq
               from (select gen_random_uuid() as chat_id, gen_random_uuid() as tenant_id from generate_series(1, $1)) c
              cross join generate_series(1, $2) as s(seq)) e`,
    [options.chats, options.eventsPerChat, pad],
  );
  await db.query(`insert into outbox_chats (chat_id, last_seq, published_seq, ready_at) select chat_id, max(chat_seq), 0, 'infinity' from outbox group by chat_id`);
  await db.query('vacuum analyze outbox');
  await db.query('vacuum analyze outbox_chats');
  return (await db.query<{ bytes: number }>(`select avg(octet_length(payload::text))::int as bytes from outbox`)).rows[0]!.bytes;
}

async function timeRelay(env: RelayBenchEnvironment, db: pg.Client, events: number): Promise<number> {
  const topic = await createBenchTopic(env.kafka, `bench-relay-${randomBytes(4).toString('hex')}`);
  const relay = await startBenchRelay(env, topic);
  try {
    const startedAt = performance.now();
    await db.query(`update outbox_chats set ready_at = now()`);
    await db.query(`select pg_notify($1, '')`, [OUTBOX_NOTIFY_CHANNEL]);
    for (;;) {
      const { rows } = await db.query<{ n: number }>(`select coalesce(sum(last_seq - published_seq), 0)::int as n from outbox_chats`);
      if (rows[0]!.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return events / ((performance.now() - startedAt) / 1000);
  } finally {
    await relay.stop();
  }
}

/** The same records in the same batches (each chat's 50 events together, chats in id order). */
async function timeRawProducer(env: RelayBenchEnvironment, db: pg.Client, events: number): Promise<number> {
  const { rows } = await db.query<ClaimedEvent>(
    `select id, event_id as "eventId", event_type as "eventType", tenant_id as "tenantId", chat_id as "chatId", chat_seq as "chatSeq",
            trace_id as "traceId", payload::text as payload, 0::float8 as "createdAtMs" from outbox order by chat_id, chat_seq`,
  );
  const batches = Array.from({ length: Math.ceil(rows.length / batchSize) }, (_, n) => rows.slice(n * batchSize, (n + 1) * batchSize).map(auditRecordOf));
  const topic = await createBenchTopic(env.kafka, `bench-raw-${randomBytes(4).toString('hex')}`);
  const producer = env.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const startedAt = performance.now();
    for (const messages of batches) await producer.send({ topic, messages, acks: -1 });
    return events / ((performance.now() - startedAt) / 1000);
  } finally {
    await producer.disconnect();
  }
}

/**
 * Throughput of the relay working off a backlog of `chats × eventsPerChat` 500-byte events
 * (outbox → Kafka, acknowledged and marked published), and of a raw idempotent kafkajs producer
 * sending the same records in batches of 500 in the same run, one request in flight, acks=all.
 */
export async function measureRelayThroughput(env: RelayBenchEnvironment, options: { chats: number; eventsPerChat: number }): Promise<RelayThroughput> {
  const db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
  try {
    const events = options.chats * options.eventsPerChat;
    const payloadBytes = await seedBacklog(db, options);
    const rawEventsPerSecond = await timeRawProducer(env, db, events);
    const relayEventsPerSecond = await timeRelay(env, db, events);
    return { events, payloadBytes, relayEventsPerSecond, rawEventsPerSecond };
  } finally {
    await db.end();
  }
}
