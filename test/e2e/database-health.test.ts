import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded-database.ts';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.ts';
import { eventually } from '../support/eventually.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';

// A PostgreSQL of its own: this test stops and restarts it, which the shared test server must never see.
let dataDir: string;
let database: EmbeddedDatabase | undefined;
let server: ServerProcess;
let health: Client<typeof Health>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mini-chat-health-'));
  database = await startEmbeddedDatabase({ dataDir });
  server = await startServerProcess({ databaseUrl: database.databaseUrl });
  health = createClient(Health, createGrpcTransport({ baseUrl: server.baseUrl }));
});

afterAll(async () => {
  await server.stop();
  await database?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function statusOf(service: string): Promise<ServingStatus> {
  return (await health.check({ service })).status;
}

/** Statuses a Watch of `service` receives, in order, until `signal` aborts. */
function watchStatuses(service: string, signal: AbortSignal): ServingStatus[] {
  const seen: ServingStatus[] = [];
  void (async () => {
    for await (const response of health.watch({ service }, { signal })) seen.push(response.status);
  })().catch(() => undefined);
  return seen;
}

describe('grpc.health.v1 follows the database', () => {
  it('reports NOT_SERVING while PostgreSQL is stopped and SERVING again once it is back, to Check and Watch', async () => {
    const stopWatching = new AbortController();
    const watched = watchStatuses('', stopWatching.signal);
    try {
      await eventually(() => expect(watched).toEqual([ServingStatus.SERVING]), { timeoutMs: 5_000 });
      expect(await statusOf('minichat.v1.TurnService')).toBe(ServingStatus.SERVING);
      const port = Number(new URL(database!.databaseUrl).port);

      await database!.stop();
      database = undefined;
      // The probe runs every 2 s with a 1 s timeout.
      await eventually(async () => expect(await statusOf('')).toBe(ServingStatus.NOT_SERVING), { timeoutMs: 10_000, intervalMs: 100 });
      expect(await statusOf('minichat.v1.TurnService')).toBe(ServingStatus.NOT_SERVING);

      database = await startEmbeddedDatabase({ dataDir, port });
      await eventually(async () => expect(await statusOf('')).toBe(ServingStatus.SERVING), { timeoutMs: 10_000, intervalMs: 100 });
      expect(await statusOf('minichat.v1.ChatService')).toBe(ServingStatus.SERVING);
      await eventually(() => expect(watched).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING]), { timeoutMs: 5_000 });
    } finally {
      stopWatching.abort();
    }
  });
});
