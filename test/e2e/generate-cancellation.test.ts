import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http2 from 'node:http2';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TurnEventSchema, type TurnEvent } from '../../src/gen/minichat/v1/turn_pb.ts';
import { GenerateRequestSchema } from '../../src/gen/minichat/v1/turn_service_pb.ts';
import { auditEventsOf } from '../support/audit-events.ts';
import { clientsFor, failureOf, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { answer, neverFinish } from '../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../support/openai-stub-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sqlClient, type SqlClient } from '../support/sql.ts';
import { aUser } from '../support/tokens.ts';
import { readAll } from '../support/turn-events.ts';

let database: TestDatabase;
let stub: OpenAIStubServer;
let server: ServerProcess;
let sql: SqlClient;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
  stub = await startOpenAIStubServer();
  server = await startServerProcess({
    databaseUrl: database.databaseUrl,
    env: { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.baseUrl, CLIENT_STALL_TIMEOUT: '500ms', PROVIDER_IDLE_TIMEOUT: '10s' },
  });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  await server.stop();
  await stub.close();
  await sql.close();
  await database.drop();
});

async function aChat(headers: Record<string, string>) {
  return (await client.chats.createChat({}, { headers })).chat!.id;
}

async function turnState(requestId: string) {
  const [row] = await sql.rows<{ state: string }>('select state from chat_turns where request_id = $1', [requestId]);
  return row?.state;
}

/**
 * 20 MB of answer: more than the loopback socket buffers and the HTTP client can hold, so a service
 * that stops pulling makes the provider's writes back up.
 */
const flood = Array.from({ length: 20_000 }, (_, i) => `${String(i).padStart(5, '0')}${'x'.repeat(995)}`);

/**
 * Opens a raw gRPC Generate call over HTTP/2 and does not read the response: a reader that stopped.
 * `resumeAndReadAll()` starts reading again and returns the events it gets and the call's status.
 */
function generateWithoutReading(address: string, token: string, request: { chatId: string; requestId: string; content: string }) {
  const session = http2.connect(`http://${address}`);
  const body = toBinary(GenerateRequestSchema, create(GenerateRequestSchema, request));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  const stream = session.request({
    ':method': 'POST',
    ':path': '/minichat.v1.TurnService/Generate',
    'content-type': 'application/grpc',
    te: 'trailers',
    authorization: `Bearer ${token}`,
  });
  stream.end(frame);
  stream.pause();
  const resumeAndReadAll = async (): Promise<{ events: TurnEvent[]; grpcStatus: string | undefined }> => {
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('trailers', (trailers) => {
      grpcStatus = String(trailers['grpc-status']);
    });
    const ended = once(stream, 'close');
    stream.resume();
    await ended;
    return { events: decodeGrpcFrames(Buffer.concat(chunks)).map((message) => fromBinary(TurnEventSchema, message)), grpcStatus };
  };
  return { close: () => session.destroy(), resumeAndReadAll };
}

/** The messages of a gRPC response body: each is a flag byte, a 4-byte length and the message. */
function decodeGrpcFrames(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let offset = 0; offset < body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    messages.push(body.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  return messages;
}

describe('Generate when the reader goes away', () => {
  it('treats a reader that stops reading as a cancellation: provider aborted, turn cancelled with the partial text, never completed', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(answer(flood));
    const requestIndex = stub.requests.length;
    const reader = generateWithoutReading(server.address, user.token, { chatId, requestId, content: 'flood me' });
    try {
      const providerRequest = await stub.waitForRequest(requestIndex);
      await providerRequest.clientClosed;
      // Backpressure: the service stopped pulling from the provider while the reader was stuck.
      expect(providerRequest.chunksWritten).toBeLessThan(flood.length);
      await eventually(async () => expect(await turnState(requestId)).toBe('cancelled'), { timeoutMs: 5_000 });
      const [message] = await sql.rows<{ partial: boolean; content: string }>(`select partial, content from messages where request_id = $1 and role = 'assistant'`, [requestId]);
      expect(message?.partial).toBe(true);
      expect(message?.content.startsWith(flood[0]!)).toBe(true);
      expect((await auditEventsOf(sql, chatId)).map((event) => event.event_type)).toEqual(['turn_cancelled']);
    } finally {
      reader.close();
    }
  });

  it('ends the call CANCELLED for a reader that comes back after the stall timeout: it gets exactly the text stored as the partial answer, no terminal event and no OK', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(answer(flood));
    const reader = generateWithoutReading(server.address, user.token, { chatId, requestId, content: 'flood me, I will be back' });
    try {
      await eventually(async () => expect(await turnState(requestId)).toBe('cancelled'), { timeoutMs: 5_000 });
      const { events, grpcStatus } = await reader.resumeAndReadAll();
      const [message] = await sql.rows<{ content: string }>(`select content from messages where request_id = $1 and role = 'assistant'`, [requestId]);
      const received = events.flatMap((event) => (event.event.case === 'delta' ? [event.event.value.text] : [])).join('');
      expect(events[0]?.event.case).toBe('started');
      expect(events.map((event) => event.event.case)).not.toContain('done');
      expect(received).toBe(message?.content);
      expect(grpcStatus).toBe(String(Code.Canceled));
    } finally {
      reader.close();
    }
  });

  it('ends the turn cancelled when the client deadline passes mid-stream', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['so far']));
    const failure = await failureOf(readAll(client.turns.generate({ chatId, requestId, content: 'slow' }, { headers: user.headers, timeoutMs: 800 })));
    expect(failure.code).toBe(Code.DeadlineExceeded);
    await eventually(async () => expect(await turnState(requestId)).toBe('cancelled'), { timeoutMs: 5_000 });
  });

  it('ends the turn cancelled when the connection drops mid-stream', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['waiting']));
    const requestIndex = stub.requests.length;
    const reader = generateWithoutReading(server.address, user.token, { chatId, requestId, content: 'then vanish' });
    await stub.waitForRequest(requestIndex);
    reader.close();
    await (await stub.waitForRequest(requestIndex)).clientClosed;
    await eventually(async () => expect(await turnState(requestId)).toBe('cancelled'), { timeoutMs: 5_000 });
  });
});

describe('Generate during a graceful shutdown', () => {
  it('cancels and finalizes open streams on SIGTERM, leaving no running turn, and exits 0', async () => {
    const stopping = await startServerProcess({ databaseUrl: database.databaseUrl, env: { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.baseUrl } });
    const user = await aUser();
    const stoppingClient = clientsFor(stopping.baseUrl, 'grpc');
    const chatId = (await stoppingClient.chats.createChat({}, { headers: user.headers })).chat!.id;
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['mid-']));
    const stream = stoppingClient.turns.generate({ chatId, requestId, content: 'shutdown soon' }, { headers: user.headers })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.event.case).toBe('started');
    const exitCode = stopping.stop();
    await expect(readAll({ [Symbol.asyncIterator]: () => stream })).rejects.toThrow();
    expect(await exitCode).toBe(0);
    expect(await turnState(requestId)).toBe('cancelled');
  });
});
