import { randomUUID } from 'node:crypto';
import { ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { metricValue } from '../support/metrics.ts';
import { answer, neverFinish } from '../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../support/openai-stub-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { aUser } from '../support/tokens.ts';
import { readAll, seen } from '../support/turn-events.ts';

let database: TestDatabase;
let stub: OpenAIStubServer;
let server: ServerProcess;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  stub = await startOpenAIStubServer();
  // A turn without progress for 2 s is orphaned (long enough for every normal turn here to finish);
  // its stream learns it when the provider's idle timeout (3 s) ends its own wait.
  server = await startServerProcess({
    databaseUrl: database.databaseUrl,
    env: { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.baseUrl, ORPHAN_TIMEOUT: '2s', ORPHAN_SCAN_INTERVAL: '200ms', PROVIDER_IDLE_TIMEOUT: '3s' },
  });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  await server.stop();
  await stub.close();
  await database.drop();
});

type User = Awaited<ReturnType<typeof aUser>>;

const metric = (name: string, labels: Record<string, string> = {}) => metricValue(server.metricsUrl, name, labels);

/** Runs `action` and returns by how much each series changed. */
async function changeOf(series: Record<string, [string, Record<string, string>?]>, action: () => Promise<unknown>): Promise<Record<string, number>> {
  const read = async () => Object.fromEntries(await Promise.all(Object.entries(series).map(async ([key, [name, labels]]) => [key, await metric(name, labels)] as const)));
  const before = await read();
  await action();
  // Streams record their end right after the terminal event reaches the client.
  return eventually(
    async () => {
      // First no open stream, then the series: each read is its own scrape, and a stream ending
      // between two scrapes would otherwise pass this check with a stale count.
      expect(await metric('mini_chat_streams_active')).toBe(0);
      const after = await read();
      return Object.fromEntries(Object.keys(series).map((key) => [key, after[key]! - before[key]!]));
    },
    { timeoutMs: 5_000 },
  );
}

async function aChat(user: User): Promise<string> {
  return (await client.chats.createChat({}, { headers: user.headers })).chat!.id;
}

describe('/metrics', () => {
  it('counts a completed Generate as mini_chat_stream_total{result="completed"} and records its time to first token and TTFT overhead', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    stub.respondOnceWith(answer(['one ', 'two'], { firstPieceDelayMs: 50 }));
    const change = await changeOf(
      {
        completed: ['mini_chat_stream_total', { result: 'completed' }],
        ttft: ['mini_chat_ttft_ms_count'],
        overhead: ['mini_chat_ttft_overhead_ms_count'],
        ttftSum: ['mini_chat_ttft_ms_sum'],
      },
      () => readAll(client.turns.generate({ chatId, content: 'count me' }, { headers: user.headers })),
    );
    expect(change).toMatchObject({ completed: 1, ttft: 1, overhead: 1 });
    // The provider waited 50 ms before its first token; the service's TTFT includes that.
    expect(change.ttftSum).toBeGreaterThanOrEqual(50);
  });

  it('counts a Retry and a Delete in mini_chat_turn_mutation_total{op, result="ok"}, and the Retry stream as completed', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    await readAll(client.turns.generate({ chatId, requestId, content: 'first' }, { headers: user.headers }));
    const change = await changeOf(
      {
        retried: ['mini_chat_turn_mutation_total', { op: 'retry', result: 'ok' }],
        deleted: ['mini_chat_turn_mutation_total', { op: 'delete', result: 'ok' }],
        notLatest: ['mini_chat_turn_mutation_total', { op: 'delete', result: 'not_latest' }],
        deleteLatency: ['mini_chat_turn_mutation_latency_ms_count', { op: 'delete' }],
        completed: ['mini_chat_stream_total', { result: 'completed' }],
      },
      async () => {
        const events = await readAll(client.turns.retry({ chatId, requestId }, { headers: user.headers }));
        await client.turns.delete({ chatId, requestId: String(events[0]?.value.requestId) }, { headers: user.headers });
      },
    );
    expect(change).toEqual({ retried: 1, deleted: 1, notLatest: 0, deleteLatency: 1, completed: 1 });
  });

  it('counts a Generate the client cancels as mini_chat_stream_total{result="cancelled"} and records its time to abort', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    stub.respondOnceWith(neverFinish(['partial ']));
    const change = await changeOf(
      { cancelled: ['mini_chat_stream_total', { result: 'cancelled' }], abort: ['mini_chat_time_to_abort_ms_count'] },
      async () => {
        const abort = new AbortController();
        const stream = client.turns.generate({ chatId, content: 'cancel me' }, { headers: user.headers, signal: abort.signal })[Symbol.asyncIterator]();
        expect(seen((await stream.next()).value).kind).toBe('started');
        expect(seen((await stream.next()).value).kind).toBe('delta');
        abort.abort();
        await expect(stream.next()).rejects.toBeInstanceOf(ConnectError);
      },
    );
    expect(change).toEqual({ cancelled: 1, abort: 1 });
  });

  it('counts a turn the watchdog fails in mini_chat_orphans_finalized_total, and its stream as failed', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    stub.respondOnceWith(neverFinish(['stuck ']));
    const change = await changeOf(
      { orphans: ['mini_chat_orphans_finalized_total'], failed: ['mini_chat_stream_total', { result: 'failed' }] },
      () => readAll(client.turns.generate({ chatId, content: 'hang' }, { headers: user.headers })),
    );
    expect(change).toEqual({ orphans: 1, failed: 1 });
  });

  it('serves the process and runtime gauges and the service.name of the resource', async () => {
    const text = await (await fetch(server.metricsUrl)).text();
    expect(await metric('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(await metric('nodejs_heap_used_bytes')).toBeGreaterThan(0);
    expect(await metric('process_uptime_seconds')).toBeGreaterThan(0);
    expect(await metric('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_ms \S+/m);
    expect(text).toMatch(/^nodejs_eventloop_utilization_ratio \S+/m);
    expect(text).toMatch(/^target_info\{[^}]*service_name="mini-chat"/m);
  });

  it('labels turn metrics with low-cardinality values only: no tenant, user, chat or request ids', async () => {
    const text = await (await fetch(server.metricsUrl)).text();
    const labelNames = new Set([...text.matchAll(/^mini_chat_\w+\{([^}]*)\}/gm)].flatMap((match) => [...match[1]!.matchAll(/(\w+)="/g)].map((label) => label[1])));
    expect([...labelNames].sort()).toEqual(['le', 'op', 'result']);
  });
});
