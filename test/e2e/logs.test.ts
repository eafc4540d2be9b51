import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { answer, serverError } from '../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../support/openai-stub-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { aUser } from '../support/tokens.ts';
import { readAll } from '../support/turn-events.ts';

let database: TestDatabase;
let stub: OpenAIStubServer;
let server: ServerProcess;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  stub = await startOpenAIStubServer();
  server = await startServerProcess({ databaseUrl: database.databaseUrl, env: { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.baseUrl, LOG_LEVEL: 'info' } });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  await server.stop();
  await stub.close();
  await database.drop();
});

type LogLine = Record<string, unknown>;

/** The server's log lines so far, each parsed (the welcome text for humans is not a log line). */
function logLines(): LogLine[] {
  return server.output.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
}

async function logLine(match: (line: LogLine) => boolean): Promise<LogLine> {
  return eventually(
    () => {
      const line = logLines().find(match);
      expect(line, 'a matching log line').toBeDefined();
      return line!;
    },
    { timeoutMs: 5_000 },
  );
}

const hex = (length: number) => expect.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));

describe('logs', () => {
  it('writes one access line per call with procedure, code, duration and the correlation ids, in the call trace', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({}, { headers: user.headers });
    const requestId = randomUUID();
    await readAll(client.turns.generate({ chatId: chat!.id, requestId, content: 'log me' }, { headers: user.headers }));

    const access = await logLine((line) => line.msg === 'call finished' && line.request_id === requestId);
    expect(access).toMatchObject({
      level: 30,
      procedure: 'minichat.v1.TurnService/Generate',
      code: 'OK',
      duration_ms: expect.any(Number),
      tenant_id: user.tenantId,
      chat_id: chat!.id,
      request_id: requestId,
      turn_id: expect.any(String),
      trace_id: hex(32),
      span_id: hex(16),
    });
    const streamEnd = await logLine((line) => line.msg === 'turn stream ended' && line.request_id === requestId);
    expect(streamEnd).toMatchObject({ tenant_id: user.tenantId, chat_id: chat!.id, turn_id: access.turn_id, trace_id: access.trace_id, result: 'completed' });
  });

  it('logs a failed call with its status code', async () => {
    const user = await aUser();
    const chatId = randomUUID();
    await expect(client.chats.getChat({ chatId }, { headers: user.headers })).rejects.toThrow();
    const access = await logLine((line) => line.msg === 'call finished' && line.chat_id === chatId);
    expect(access).toMatchObject({ procedure: 'minichat.v1.ChatService/GetChat', code: 'NOT_FOUND', tenant_id: user.tenantId });
  });

  it('never writes message content, model output or the bearer token at info level, also when the provider fails', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({}, { headers: user.headers });
    const content = `private-question-${randomUUID()}`;
    const reply = `private-answer-${randomUUID()}`;
    stub.respondOnceWith(answer([reply]));
    const requestId = randomUUID();
    await readAll(client.turns.generate({ chatId: chat!.id, requestId, content }, { headers: user.headers }));
    stub.respondOnceWith(serverError);
    const failedRequestId = randomUUID();
    await readAll(client.turns.generate({ chatId: chat!.id, requestId: failedRequestId, content: `${content}-again` }, { headers: user.headers }));
    await logLine((line) => line.msg === 'turn stream ended' && line.request_id === failedRequestId);

    const output = server.output.join('\n');
    expect(output).toContain(requestId);
    expect(output).not.toContain(content);
    expect(output).not.toContain(reply);
    expect(output).not.toContain(user.token);
  });

  it('writes every log line as one JSON object with level, time and message', () => {
    const lines = logLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ level: expect.any(Number), time: expect.any(String), msg: expect.any(String), name: 'mini-chat' });
  });
});
