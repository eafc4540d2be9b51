import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { aTopicName, readTopic } from '../../support/kafka.ts';
import { anAuditEvent, enqueueInOneTransaction } from '../../support/outbox-events.ts';
import { startTestRelay, waitUntilReady } from '../../support/relay.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

describe('relay: LISTEN/NOTIFY wake-up', () => {
  it('publishes a committed event in under a second although it polls only every 10 s', async () => {
    const topic = aTopicName();
    const relay = await startTestRelay({ databaseUrl: database.databaseUrl, topic, env: { RELAY_POLL_INTERVAL: '10s' } });
    await waitUntilReady(relay);
    const events = [anAuditEvent(), anAuditEvent(), anAuditEvent(), anAuditEvent()];
    const latenciesMs: number[] = [];

    // One at a time, each after the previous was published: the relay is idle (waiting out its
    // 10 s poll) when the next commit happens, so only the NOTIFY can wake it in time.
    for (const event of events) {
      const committedAt = performance.now();
      await enqueueInOneTransaction(database.orm, [event]);
      await eventually(async () => expect(await database.isPublished(event.eventId)).toBe(true), { timeoutMs: 15_000, intervalMs: 10 });
      latenciesMs.push(performance.now() - committedAt);
    }
    const records = await readTopic(topic, { count: events.length, timeoutMs: 30_000 });
    await relay.stop();

    expect(records.map((record) => record.headers['event-id']).sort()).toEqual(events.map((event) => event.eventId).sort());
    expect(latenciesMs.filter((ms) => ms >= 1_000), `latencies ${latenciesMs.map(Math.round).join(', ')} ms`).toEqual([]);
  });
});
