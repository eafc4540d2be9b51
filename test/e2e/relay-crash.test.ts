import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { aTopic, readTopic, topicRecordCount } from '../support/kafka.ts';
import { anAuditEvent, enqueueInOneTransaction } from '../support/outbox-events.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../support/relay-database.ts';
import { startRelayProcess, type RelayProcess } from '../support/relay-process.ts';
import { firstOccurrencesPerChat, perChatOrder } from '../support/topic-order.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

const eventCount = 10_000;
const chatCount = 200;
const minimumKills = 5;
// Short, so a restarted relay takes over the killed one's chats within seconds.
const env = { RELAY_LEASE: '2s', RELAY_BATCH_SIZE: '200' };

async function publishedCount(): Promise<number> {
  const written = (await database.rows<{ n: number }>(`select count(*)::int as n from outbox`))[0]!.n;
  return written - (await database.unpublishedCount());
}

/** Four writers commit `eventCount` events in transactions of 1-10 events (chats in id order). */
async function writeEvents(): Promise<void> {
  const chatIds = Array.from({ length: chatCount }, () => randomUUID());
  let written = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (written < eventCount) {
        const size = Math.min(1 + Math.floor(Math.random() * 10), eventCount - written);
        written += size;
        const events = Array.from({ length: size }, () => anAuditEvent({ chatId: chatIds[Math.floor(Math.random() * chatCount)]! }));
        await enqueueInOneTransaction(database.orm, events.sort((a, b) => a.chatId.localeCompare(b.chatId)));
      }
    }),
  );
}

describe('relay process: SIGKILL at any moment', () => {
  it('delivers every one of 10,000 events through repeated SIGKILLs, duplicates only with the same event-id, chats in order', { timeout: 240_000 }, async () => {
    const topic = await aTopic({ partitions: 3 });
    let isWritten = false;
    const writing = writeEvents().then(() => (isWritten = true));

    // Kill the relay each time it made some progress (so mid-batch, with leases held), until
    // every event is written and it was killed at least `minimumKills` times.
    let kills = 0;
    let relay: RelayProcess;
    for (;;) {
      relay = await startRelayProcess({ databaseUrl: database.databaseUrl, topic, env });
      const before = await publishedCount();
      await eventually(async () => expect(await publishedCount()).toBeGreaterThanOrEqual(Math.min(before + 300, eventCount)), { timeoutMs: 60_000, intervalMs: 20 });
      if (isWritten && kills >= minimumKills) break;
      expect(await relay.kill('SIGKILL')).toBeNull();
      kills += 1;
    }
    await writing;
    await eventually(async () => expect(await publishedCount()).toBe(eventCount), { timeoutMs: 120_000, intervalMs: 200 });
    expect(await relay.kill('SIGTERM')).toBe(0);

    const records = await readTopic(topic, { count: await topicRecordCount(topic), timeoutMs: 120_000 });
    const rows = await database.rows<{ chat_id: string; event_id: string }>(`select chat_id, event_id from outbox order by chat_id, chat_seq`);
    const seen = firstOccurrencesPerChat(records);
    expect(rows).toHaveLength(eventCount);
    expect(seen.differingDuplicates).toEqual([]);
    expect(seen.perChat).toEqual(perChatOrder(rows));
    expect(kills).toBeGreaterThanOrEqual(minimumKills);
  });
});
