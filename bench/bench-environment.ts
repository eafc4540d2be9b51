import type OpenAI from 'openai';
import { startOpenAIStubServer, type OpenAIStubServer } from '../test/support/openai-stub-server.ts';
import { sqlClient, type SqlClient } from '../test/support/sql.ts';
import { startBenchDatabase } from './bench-database.ts';
import { startBenchService, type BenchService } from './bench-service.ts';
import { createDirectClient } from './timed-streams.ts';

/** Everything a scenario drives: the stub provider (in this process), the service (a child process), the database. */
export type BenchEnvironment = {
  readonly stub: OpenAIStubServer;
  readonly service: BenchService;
  /** The baseline client, reading the stub directly. */
  readonly direct: OpenAI;
  readonly sql: SqlClient;
  stop(): Promise<void>;
};

/**
 * Starts PostgreSQL (embedded, or a fresh database on `DATABASE_URL`'s server) with migrations, the
 * OpenAI stub on 127.0.0.1 in this process, and the service as a child process pointed at both.
 */
export async function startBenchEnvironment(options: {
  databaseAdminUrl: string | undefined;
  /** Extra node flags for the service process (`BENCH_SERVICE_NODE_ARGS`). */
  serviceNodeArgs?: string[] | undefined;
}): Promise<BenchEnvironment> {
  const database = await startBenchDatabase(options.databaseAdminUrl);
  const stub = await startOpenAIStubServer();
  let service: BenchService;
  try {
    service = await startBenchService({ databaseUrl: database.databaseUrl, openaiBaseUrl: stub.baseUrl, nodeArgs: options.serviceNodeArgs });
  } catch (error) {
    await stub.close();
    await database.stop();
    throw error;
  }
  const sql = sqlClient(database.databaseUrl);
  return {
    stub,
    service,
    direct: createDirectClient(stub.baseUrl),
    sql,
    async stop() {
      await service.stop();
      await stub.close();
      await sql.close();
      await database.stop();
    },
  };
}
