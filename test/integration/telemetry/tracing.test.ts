import { randomBytes, randomUUID } from 'node:crypto';
import { ConnectError } from '@connectrpc/connect';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrphanWatchdog } from '../../../src/use-cases/orphan-watchdog.ts';
import { auditEventsOf } from '../../support/audit-events.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { eventually } from '../../support/eventually.ts';
import { startInMemoryTracing, type InMemoryTracing } from '../../support/in-memory-tracing.ts';
import { startInProcessService, type InProcessService } from '../../support/in-process-service.ts';
import { answer, neverFinish } from '../../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../../support/openai-stub-server.ts';
import { sqlClient, type SqlClient } from '../../support/sql.ts';
import { aUser } from '../../support/tokens.ts';
import { readAll, seen } from '../../support/turn-events.ts';

let tracing: InMemoryTracing;
let database: TestDatabase;
let sql: SqlClient;
let stub: OpenAIStubServer;
let service: InProcessService;

beforeAll(async () => {
  tracing = startInMemoryTracing();
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
  stub = await startOpenAIStubServer();
  service = await startInProcessService({ orm: database.orm, openaiBaseUrl: stub.baseUrl });
});

afterAll(async () => {
  await service.stop();
  await stub.close();
  await sql.close();
  await database.drop();
  await tracing.stop();
});

type User = Awaited<ReturnType<typeof aUser>>;

async function aChat(user: User): Promise<string> {
  return (await service.chats.createChat({}, { headers: user.headers })).chat!.id;
}

/** The ended SERVER span of one call of `procedure` for this request id. */
async function callSpan(procedure: string, requestId: string): Promise<ReadableSpan> {
  return eventually(
    () => {
      const span = tracing.spans().find((candidate) => candidate.name === procedure && candidate.attributes['minichat.request_id'] === requestId);
      expect(span, `an ended ${procedure} span for ${requestId}`).toBeDefined();
      return span!;
    },
    { timeoutMs: 5_000 },
  );
}

function childrenOf(parent: ReadableSpan): ReadableSpan[] {
  return tracing.spansOfTrace(parent.spanContext().traceId).filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
}

describe('tracing', () => {
  it('traces one Generate as a SERVER span with child spans for the preflight, the provider stream and the finalization; turn_completed carries its trace id', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    stub.respondOnceWith(answer(['traced ', 'answer']));
    await readAll(service.turns.generate({ chatId, requestId, content: 'trace me' }, { headers: user.headers }));

    const rpc = await callSpan('minichat.v1.TurnService/Generate', requestId);
    expect(rpc.kind).toBe(SpanKind.SERVER);
    expect(rpc.parentSpanContext).toBeUndefined();
    expect(rpc.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(rpc.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.grpc.status_code': 0,
      'rpc.service': 'minichat.v1.TurnService',
      'rpc.method': 'Generate',
      'rpc.status_code': 'OK',
      'minichat.tenant_id': user.tenantId,
      'minichat.chat_id': chatId,
    });
    const children = childrenOf(rpc);
    expect(children.map((span) => span.name).sort()).toEqual(['provider.stream', 'turn.finalize', 'turn.preflight']);
    const providerSpan = children.find((span) => span.name === 'provider.stream')!;
    const firstToken = providerSpan.events.find((event) => event.name === 'first_token');
    expect(firstToken?.attributes).toMatchObject({ 'minichat.ttft_ms': expect.any(Number), 'minichat.provider_ttft_ms': expect.any(Number) });
    expect(providerSpan.attributes).toMatchObject({ 'gen_ai.usage.output_tokens': 2, 'gen_ai.response.finish_reasons': ['stop'] });

    const [completed] = await auditEventsOf(sql, chatId);
    expect(completed?.event_type).toBe('turn_completed');
    expect(completed?.payload.trace_id).toBe(rpc.spanContext().traceId);
  });

  it("continues the caller's traceparent: the Generate span is a child of the caller's span, and the audit event is in the caller's trace", async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    const callerTraceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const headers = { ...user.headers, traceparent: `00-${callerTraceId}-${callerSpanId}-01` };
    await readAll(service.turns.generate({ chatId, requestId, content: 'continue my trace' }, { headers }));

    const rpc = await callSpan('minichat.v1.TurnService/Generate', requestId);
    expect(rpc.spanContext().traceId).toBe(callerTraceId);
    expect(rpc.parentSpanContext).toMatchObject({ traceId: callerTraceId, spanId: callerSpanId, isRemote: true });
    const [completed] = await auditEventsOf(sql, chatId);
    expect(completed?.payload.trace_id).toBe(callerTraceId);
  });

  it("puts a Retry's turn_retry and its new turn's turn_completed into the Retry call's trace", async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    await readAll(service.turns.generate({ chatId, requestId, content: 'first' }, { headers: user.headers }));
    const events = await readAll(service.turns.retry({ chatId, requestId }, { headers: user.headers }));
    const newRequestId = String(events[0]?.value.requestId);

    const rpc = await callSpan('minichat.v1.TurnService/Retry', newRequestId);
    expect(childrenOf(rpc).find((span) => span.name === 'turn.preflight')?.attributes).toMatchObject({ 'minichat.turn.kind': 'retry' });
    const audit = await auditEventsOf(sql, chatId);
    expect(audit.slice(1).map((event) => [event.event_type, event.payload.trace_id])).toEqual([
      ['turn_retry', rpc.spanContext().traceId],
      ['turn_completed', rpc.spanContext().traceId],
    ]);
  });

  it('ends the Generate span with CANCELLED and an error status when the client cancels mid-stream', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['partial ']));
    const abort = new AbortController();
    const stream = service.turns.generate({ chatId, requestId, content: 'cancel me' }, { headers: user.headers, signal: abort.signal })[Symbol.asyncIterator]();
    expect(seen((await stream.next()).value).kind).toBe('started');
    expect(seen((await stream.next()).value).kind).toBe('delta');
    abort.abort();
    await expect(stream.next()).rejects.toBeInstanceOf(ConnectError);

    const rpc = await callSpan('minichat.v1.TurnService/Generate', requestId);
    expect(rpc.status.code).toBe(SpanStatusCode.ERROR);
    expect(rpc.attributes['rpc.status_code']).toBe('CANCELLED');
    const children = await eventually(
      () => {
        const spans = childrenOf(rpc);
        expect(spans.map((span) => span.name).sort()).toEqual(['provider.stream', 'turn.finalize', 'turn.preflight']);
        return spans;
      },
      { timeoutMs: 5_000 },
    );
    expect(children.find((span) => span.name === 'turn.finalize')?.attributes).toMatchObject({ 'minichat.turn.outcome': 'cancelled' });
    expect(children.find((span) => span.name === 'provider.stream')?.attributes).toMatchObject({ 'minichat.provider.aborted': true });
  });

  it("makes each orphan watchdog scan a root span, whose trace id the turn_failed events it writes carry", async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['stuck ']));
    const stream = service.turns.generate({ chatId, requestId, content: 'hang' }, { headers: user.headers })[Symbol.asyncIterator]();
    expect(seen((await stream.next()).value).kind).toBe('started');
    const watchdog = startOrphanWatchdog({ orm: database.orm, logger: service.logger, metrics: service.metrics, scanIntervalMs: 20, orphanTimeoutMs: 1 });
    try {
      const [failed] = await eventually(
        async () => {
          const events = (await auditEventsOf(sql, chatId)).filter((event) => event.event_type === 'turn_failed');
          expect(events).toHaveLength(1);
          return events;
        },
        { timeoutMs: 5_000 },
      );
      const scan = tracing.spans().find((span) => span.name === 'orphan_watchdog.scan' && span.spanContext().traceId === failed?.payload.trace_id);
      expect(scan?.parentSpanContext).toBeUndefined();
      expect(scan?.attributes['minichat.orphans_failed']).toBe(1);
    } finally {
      await watchdog.stop();
      await stream.return?.();
    }
  });
});
