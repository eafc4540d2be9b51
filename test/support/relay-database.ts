import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './database.ts';

/** A test database plus a `pg` pool on it, as the relay's statements take one. */
export type RelayTestDatabase = TestDatabase & {
  readonly pool: pg.Pool;
  /** `select` helper for assertions. */
  rows<T extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Events the relay recorded as published (acknowledged by Kafka): their chat's `published_seq` passed them. */
  publishedEventIds(): Promise<string[]>;
  /** Whether the relay recorded the event as published. */
  isPublished(eventId: string): Promise<boolean>;
  /** Events not yet published (waiting, backing off or dead letters). */
  unpublishedCount(): Promise<number>;
};

// Published means: the chat's published_seq reached the event, and it was not discarded instead.
const publishedSql = `select e.event_id from outbox e join outbox_chats c on c.chat_id = e.chat_id
                       where e.chat_seq <= c.published_seq and e.discarded_at is null`;

/** A fresh migrated database (see `createTestDatabase`) with a small `pg` pool; `drop()` closes both. */
export async function createRelayTestDatabase(): Promise<RelayTestDatabase> {
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.databaseUrl, max: 4 });
  // a connection the test cut on purpose must not crash the test process
  pool.on('error', () => undefined);
  return {
    ...database,
    pool,
    rows: async <T extends Record<string, unknown>>(text: string, values: unknown[] = []) => (await pool.query<T>(text, values)).rows,
    publishedEventIds: async () => (await pool.query<{ event_id: string }>(publishedSql)).rows.map((row) => row.event_id),
    isPublished: async (eventId) => (await pool.query(`${publishedSql} and e.event_id = $1`, [eventId])).rows.length === 1,
    unpublishedCount: async () =>
      (await pool.query<{ n: number }>(`select coalesce(sum(last_seq - published_seq), 0)::int as n from outbox_chats`)).rows[0]!.n,
    drop: async () => {
      await pool.end();
      await database.drop();
    },
  };
}
