import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabaseIfMissing, dropDatabase, withDatabaseName } from '../src/db/database-admin.ts';
import { startEmbeddedDatabase } from '../src/db/embedded-database.ts';
import { openOrm, runMigrations } from '../src/db/orm.ts';

/** A migrated database of the bench's own; `stop()` removes it. */
export type BenchDatabase = { readonly databaseUrl: string; stop(): Promise<void> };

/**
 * With `adminUrl` (the caller's `DATABASE_URL`): a fresh `minichat_bench_*` database on that
 * server, dropped afterwards. Without: an embedded PostgreSQL in a temporary folder, removed
 * afterwards. Either way migrated before the service starts.
 */
export async function startBenchDatabase(adminUrl: string | undefined): Promise<BenchDatabase> {
  const database = adminUrl ? await createOnServer(adminUrl) : await startEmbedded();
  try {
    const orm = await openOrm({ databaseUrl: database.databaseUrl });
    try {
      await runMigrations(orm);
    } finally {
      await orm.close();
    }
  } catch (error) {
    await database.stop();
    throw error;
  }
  return database;
}

async function createOnServer(adminUrl: string): Promise<BenchDatabase> {
  const name = `minichat_bench_${randomBytes(6).toString('hex')}`;
  await createDatabaseIfMissing(adminUrl, name);
  return { databaseUrl: withDatabaseName(adminUrl, name), stop: () => dropDatabase(adminUrl, name) };
}

async function startEmbedded(): Promise<BenchDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mini-chat-bench-'));
  const embedded = await startEmbeddedDatabase({ dataDir });
  return {
    databaseUrl: embedded.databaseUrl,
    stop: async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
