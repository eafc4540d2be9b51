import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDatabaseIfMissing, dropDatabase, withDatabaseName } from '../../src/db/database-admin.ts';
import { openOrm } from '../../src/db/orm.ts';
import { eventually } from '../support/eventually.ts';
import { aTopic, readTopic, topicRecordCount } from '../support/kafka.ts';
import { anAuditEvent, enqueueInOneTransaction, eventsOfChats } from '../support/outbox-events.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../support/relay-database.ts';
import { startRelayProcess } from '../support/relay-process.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

async function readiness(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/ready`)).status;
}

describe('relay process', () => {
  it('on SIGTERM finishes and records the batches in flight, releases its chats and exits 0', { timeout: 90_000 }, async () => {
    const events = eventsOfChats({ chatCount: 100, eventsPerChat: 30 });
    for (let n = 0; n < events.length; n += 100) await enqueueInOneTransaction(database.orm, events.slice(n, n + 100).sort((a, b) => a.chatId.localeCompare(b.chatId)));
    const topic = await aTopic();
    const relay = await startRelayProcess({ databaseUrl: database.databaseUrl, topic, env: { RELAY_BATCH_SIZE: '50' } });
    await eventually(async () => expect(await publishedCount()).toBeGreaterThanOrEqual(300), { timeoutMs: 30_000, intervalMs: 10 });

    expect(await relay.kill('SIGTERM')).toBe(0);

    const leased = await database.rows(`select chat_id from outbox_chats where locked_by is not null`);
    const published = await database.publishedEventIds();
    const records = await readTopic(topic, { count: await topicRecordCount(topic), timeoutMs: 30_000 });
    expect(leased).toEqual([]);
    expect(published.length).toBeLessThan(events.length);
    // every acknowledged batch was recorded, and nothing was recorded that Kafka does not have
    expect(new Set(records.map((record) => record.headers['event-id']))).toEqual(new Set(published));
    expect(relay.output.some((line) => line.includes('"relay stopped"'))).toBe(true);
  });

  it('exits 2 on bad configuration, naming every bad variable', async () => {
    const relay = startRelayProcess({ databaseUrl: 'mysql://nope', topic: 'unused', env: { KAFKA_BROKERS: '', RELAY_BATCH_SIZE: 'many', RELAY_POLL_INTERVAL: '5' } });

    const failure = await relay.then(() => undefined, (error: unknown) => String(error));

    expect(failure).toMatch(/relay exited with 2/);
    for (const variable of ['DATABASE_URL', 'KAFKA_BROKERS', 'RELAY_BATCH_SIZE', 'RELAY_POLL_INTERVAL']) expect(failure).toContain(variable);
  });

  it('keeps retrying while its database is unreachable, not ready, and publishes once it is there', { timeout: 90_000 }, async () => {
    const adminUrl = inject('databaseAdminUrl');
    const name = `minichat_later_${randomBytes(6).toString('hex')}`;
    const topic = await aTopic();
    const relay = await startRelayProcess({ databaseUrl: withDatabaseName(adminUrl, name), topic });
    await eventually(() => expect(relay.output.some((line) => line.includes('failed; retrying'))).toBe(true), { timeoutMs: 20_000, intervalMs: 100 });
    expect(await readiness(relay.metricsPort)).toBe(503);

    await createDatabaseIfMissing(adminUrl, name, { template: inject('templateDatabase') });
    const orm = await openOrm({ databaseUrl: withDatabaseName(adminUrl, name) });
    try {
      const event = anAuditEvent();
      await enqueueInOneTransaction(orm, [event]);
      await eventually(async () => expect(await readiness(relay.metricsPort)).toBe(200), { timeoutMs: 30_000, intervalMs: 200 });
      const [record] = await readTopic(topic, { count: 1, timeoutMs: 30_000 });
      expect(record?.headers['event-id']).toBe(event.eventId);
      expect(await relay.kill('SIGTERM')).toBe(0);
    } finally {
      await orm.close();
      await dropDatabase(adminUrl, name);
    }
  });
});

async function publishedCount(): Promise<number> {
  return (await database.publishedEventIds()).length;
}
