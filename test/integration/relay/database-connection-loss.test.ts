import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { aTopic, readTopic, topicRecordCount } from '../../support/kafka.ts';
import { startTestRelay, waitUntilReady } from '../../support/relay.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';
import { startSteadyWriter } from '../../support/steady-writer.ts';
import { firstOccurrencesPerChat, perChatOrder } from '../../support/topic-order.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

const kills = 8;

/** Terminates the relay's connections that are running a statement right now (claim, mark, retry). */
async function killBusyRelayConnections(): Promise<number> {
  const rows = await database.rows<{ pid: number }>(
    `select pid from pg_stat_activity
      where datname = current_database() and application_name = 'mini-chat-relay' and state = 'active' and pid <> pg_backend_pid()`,
  );
  for (const { pid } of rows) await database.rows(`select pg_terminate_backend($1)`, [pid]);
  return rows.length;
}

describe('relay: PostgreSQL connections killed mid-batch', () => {
  it('loses nothing when its connections are terminated while claiming and settling, and listens again', { timeout: 120_000 }, async () => {
    const topic = await aTopic();
    const relay = await startTestRelay({ databaseUrl: database.databaseUrl, topic, env: { RELAY_LEASE: '5s', RELAY_BATCH_SIZE: '50' } });
    await waitUntilReady(relay);
    const writer = startSteadyWriter(database.orm, { chatCount: 30, eventsPerTransaction: 5, intervalMs: 20 });

    // Kill the relay's busy connections, again and again, whenever one runs a statement.
    let killed = 0;
    await eventually(
      async () => {
        killed += await killBusyRelayConnections();
        expect(killed).toBeGreaterThanOrEqual(kills);
      },
      { timeoutMs: 60_000, intervalMs: 5 },
    );
    // and the LISTEN connection once
    await database.rows(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'mini-chat-relay-listen'`);
    const committed = await writer.stop();
    await eventually(async () => expect(await database.unpublishedCount()).toBe(0), { timeoutMs: 60_000, intervalMs: 200 });
    await eventually(
      async () => expect(await database.rows(`select 1 from pg_stat_activity where datname = current_database() and application_name = 'mini-chat-relay-listen'`)).toHaveLength(1),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    await relay.stop();

    const records = await readTopic(topic, { count: await topicRecordCount(topic), timeoutMs: 60_000 });
    const rows = await database.rows<{ chat_id: string; event_id: string }>(`select chat_id, event_id from outbox order by chat_id, chat_seq`);
    const seen = firstOccurrencesPerChat(records);
    expect(rows).toHaveLength(committed.length);
    expect(seen.differingDuplicates).toEqual([]);
    expect(seen.perChat).toEqual(perChatOrder(rows));
    expect(relay.logs.join('')).toContain('failed; retrying');
  });
});
