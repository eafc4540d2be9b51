import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDatabaseIfMissing, dropDatabase, withDatabaseName } from '../../src/db/database-admin.ts';
import { startEmbeddedDatabase } from '../../src/db/embedded-database.ts';
import { openOrm, runMigrations } from '../../src/db/orm.ts';
import { startLocalKafka } from '../../scripts/kafka/local-kafka.ts';

/** Migrated once per run; every test file copies it (`create database … template …`). */
const TEMPLATE_DATABASE = 'minichat_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A database URL with the right to create and drop databases on the test server. */
    databaseAdminUrl: string;
    /** Name of the migrated template database that `createTestDatabase()` copies. */
    templateDatabase: string;
    /** `KAFKA_BROKERS` of the broker tests publish to and read from (see `test/support/kafka.ts`). */
    kafkaBrokers: string;
  }
}

/** A service the tests use, with the way to stop it after the run. */
type TestService = { stop: () => Promise<void> };

/**
 * Vitest global setup: uses the PostgreSQL of `DATABASE_URL` when set, otherwise starts an
 * embedded one in a fresh temporary folder on a free port; then migrates the template database.
 * Likewise uses the Kafka of `KAFKA_BROKERS`, otherwise starts a local KRaft broker. Both start
 * at once (the broker's JVM takes seconds). The returned teardown stops what was started and
 * removes its folders.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [server, kafka] = await startTogether(startMigratedServer(process.env['DATABASE_URL']), startTestKafka(process.env['KAFKA_BROKERS']));
  project.provide('databaseAdminUrl', server.adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  project.provide('kafkaBrokers', kafka.brokers);
  return async () => {
    await Promise.all([server.stop(), kafka.stop()]);
  };
}

/** Waits for both; when one fails, stops the other before failing, so nothing is left running. */
async function startTogether<A extends TestService, B extends TestService>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'fulfilled' && second.status === 'fulfilled') return [first.value, second.value];
  await Promise.all([first, second].map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
  const [reason] = [first, second].flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  throw reason;
}

async function startMigratedServer(databaseUrl: string | undefined): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  const server = await startTestServer(databaseUrl);
  try {
    await createTemplateDatabase(server.adminUrl);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function startTestKafka(brokers: string | undefined): Promise<{ brokers: string; stop: () => Promise<void> }> {
  if (brokers !== undefined && brokers !== '') return { brokers, stop: async () => undefined };
  const dataDir = await mkdtemp(join(tmpdir(), 'mini-chat-test-kafka-'));
  const removeDataDir = () => rm(dataDir, { recursive: true, force: true });
  const kafka = await startLocalKafka({ dataDir }).catch(async (error: unknown) => {
    await removeDataDir();
    throw error;
  });
  return {
    brokers: kafka.brokers,
    stop: async () => {
      await kafka.stop();
      await removeDataDir();
    },
  };
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
