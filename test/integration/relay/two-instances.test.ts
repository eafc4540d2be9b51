import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { aTopic, readTopic, topicRecordCount } from '../../support/kafka.ts';
import { anAuditEvent, enqueueInOneTransaction } from '../../support/outbox-events.ts';
import { scrapeMetrics, startTestRelay, waitUntilReady } from '../../support/relay.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';
import { firstOccurrencesPerChat, perChatOrder } from '../../support/topic-order.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

const chatCount = 60;
const eventCount = 3_000;

function publishedTotalOf(metrics: string): number {
  return Number(/^mini_chat_outbox_published_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
}

describe('relay: two instances on one outbox', () => {
  it('publishes every event under load, exactly once or duplicated with the same event-id, each chat in commit order', { timeout: 120_000 }, async () => {
    const topic = await aTopic({ partitions: 3 });
    const env = { RELAY_BATCH_SIZE: '40' };
    const relays = [
      await startTestRelay({ databaseUrl: database.databaseUrl, topic, env }),
      await startTestRelay({ databaseUrl: database.databaseUrl, topic, env }),
    ];
    await Promise.all(relays.map((relay) => waitUntilReady(relay)));
    const chatIds = Array.from({ length: chatCount }, () => randomUUID());

    // Four writers commit small transactions (1-3 events, chats at random) while both relays run.
    let written = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (written < eventCount) {
          const size = Math.min(1 + Math.floor(Math.random() * 3), eventCount - written);
          written += size;
          // in chat id order, as enqueue asks of a transaction writing to several chats (no deadlock)
          const events = Array.from({ length: size }, () => anAuditEvent({ chatId: chatIds[Math.floor(Math.random() * chatCount)]! }))
            .sort((a, b) => a.chatId.localeCompare(b.chatId));
          await enqueueInOneTransaction(database.orm, events);
        }
      }),
    );
    await eventually(async () => expect(await database.unpublishedCount()).toBe(0), { timeoutMs: 60_000, intervalMs: 200 });
    const published = await Promise.all(relays.map(async (relay) => publishedTotalOf(await scrapeMetrics(relay))));
    await Promise.all(relays.map((relay) => relay.stop()));
    const records = await readTopic(topic, { count: await topicRecordCount(topic), timeoutMs: 60_000 });

    const committed = await database.rows<{ chat_id: string; event_id: string }>(`select chat_id, event_id from outbox order by chat_id, chat_seq`);
    const seen = firstOccurrencesPerChat(records);
    expect(committed).toHaveLength(eventCount);
    expect(seen.differingDuplicates).toEqual([]);
    expect(seen.perChat).toEqual(perChatOrder(committed));
    expect(published.every((count) => count > 0), `published per instance: ${published.join(', ')}`).toBe(true);
  });
});
