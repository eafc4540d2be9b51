import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectValidAuditEvent } from '../support/audit-events.ts';
import { clientsFor } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { aTopicName, kafkaBrokers, readTopic, topicRecordCount } from '../support/kafka.ts';
import { startServerProcess } from '../support/server-process.ts';
import { aUser } from '../support/tokens.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

describe('npm start with KAFKA_BROKERS', () => {
  it('runs the relay as a child process: a DeleteChat reaches the audit topic, and SIGTERM stops both', { timeout: 90_000 }, async () => {
    const topic = aTopicName();
    const server = await startServerProcess({
      databaseUrl: database.databaseUrl,
      env: { KAFKA_BROKERS: kafkaBrokers(), AUDIT_TOPIC: topic, RELAY_METRICS_PORT: '0' },
    });
    try {
      const user = await aUser();
      const client = clientsFor(server.baseUrl, 'grpc');
      const { chat } = await client.chats.createChat({ title: 'audited' }, { headers: user.headers });
      await client.chats.deleteChat({ chatId: chat!.id }, { headers: user.headers });

      // the relay creates the topic when it starts; wait for the record before subscribing
      await eventually(async () => expect(await topicRecordCount(topic)).toBe(1), { timeoutMs: 30_000, intervalMs: 200 });
      const [record] = await readTopic(topic, { count: 1, timeoutMs: 30_000 });

      expect(record?.key).toBe(chat!.id);
      expect(record?.headers['event-type']).toBe('chat_deleted');
      expectValidAuditEvent(JSON.parse(record!.value!));
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.output.some((line) => line.includes('"outbox relay started as a child process"'))).toBe(true);
    expect(server.output.some((line) => line.includes('"relay stopped"'))).toBe(true);
  });
});
