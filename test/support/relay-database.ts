import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './database.ts';

/** A test database plus a `pg` pool on it, as the relay's statements take one. */
export type RelayTestDatabase = TestDatabase & {
  readonly pool: pg.Pool;
  /** `select` helper for assertions. */
  rows<T extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
};

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
    drop: async () => {
      await pool.end();
      await database.drop();
    },
  };
}
