import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { inject } from 'vitest';
import { createDatabaseIfMissing, dropDatabase, withDatabaseName } from '../../src/db/database-admin.ts';
import { openOrm } from '../../src/db/orm.ts';

/** A migrated database of one's own, isolated from every other test file. */
export type TestDatabase = {
  readonly databaseUrl: string;
  /** An ORM on this database; `drop()` closes it. */
  readonly orm: MikroORM;
  /** Closes the ORM and drops the database (other open connections are cut). */
  drop(): Promise<void>;
};

/**
 * Creates a fresh database as a copy of the migrated template of `global-setup.ts`. Call it in
 * `beforeAll` and `drop()` it in `afterAll`; test files then run in parallel without sharing rows.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const name = `minichat_test_${randomBytes(8).toString('hex')}`;
  await createDatabaseIfMissing(adminUrl, name, { template: inject('templateDatabase') });
  const databaseUrl = withDatabaseName(adminUrl, name);
  const orm = await openOrm({ databaseUrl });
  return {
    databaseUrl,
    orm,
    drop: async () => {
      await orm.close();
      await dropDatabase(adminUrl, name);
    },
  };
}

/**
 * How many sessions of this database are waiting for a lock right now (`pg_stat_activity`): how a
 * test knows, without sleeping, that a statement it started is blocked behind a lock it holds.
 */
export async function sessionsWaitingForLock(database: TestDatabase): Promise<number> {
  const rows = await database.orm.em.fork().execute<Array<{ waiting: number }>>(
    `select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return rows[0]?.waiting ?? 0;
}
