import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDatabaseIfMissing, dropDatabase, withDatabaseName } from '../../src/db/database-admin.ts';
import { startEmbeddedDatabase } from '../../src/db/embedded-database.ts';
import { openOrm, runMigrations } from '../../src/db/orm.ts';

/** Migrated once per run; every test file copies it (`create database … template …`). */
const TEMPLATE_DATABASE = 'minichat_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A database URL with the right to create and drop databases on the test server. */
    databaseAdminUrl: string;
    /** Name of the migrated template database that `createTestDatabase()` copies. */
    templateDatabase: string;
  }
}

/**
 * Vitest global setup: uses the PostgreSQL of `DATABASE_URL` when set, otherwise starts an
 * embedded one in a fresh temporary folder on a free port; then migrates the template database.
 * The returned teardown stops the embedded server and removes its folder.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer(process.env['DATABASE_URL']);
  try {
    await createTemplateDatabase(server.adminUrl);
  } catch (error) {
    await server.stop();
    throw error;
  }
  project.provide('databaseAdminUrl', server.adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  return server.stop;
}

async function startTestServer(databaseUrl: string | undefined): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  if (databaseUrl !== undefined && databaseUrl !== '') {
    return { adminUrl: databaseUrl, stop: () => dropDatabase(databaseUrl, TEMPLATE_DATABASE) };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'mini-chat-test-'));
  const embedded = await startEmbeddedDatabase({ dataDir });
  return {
    adminUrl: embedded.adminDatabaseUrl,
    stop: async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function createTemplateDatabase(adminUrl: string): Promise<void> {
  // a template left by an aborted run on a shared server may hold an older schema
  await dropDatabase(adminUrl, TEMPLATE_DATABASE);
  await createDatabaseIfMissing(adminUrl, TEMPLATE_DATABASE);
  const orm = await openOrm({ databaseUrl: withDatabaseName(adminUrl, TEMPLATE_DATABASE) });
  try {
    await runMigrations(orm);
  } finally {
    // a template with open connections cannot be copied
    await orm.close();
  }
}
