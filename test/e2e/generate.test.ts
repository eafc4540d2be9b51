import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinishReason } from '../../src/gen/minichat/v1/turn_pb.ts';
import { auditEventsOf } from '../support/audit-events.ts';
import { anAttachment } from '../support/builders.ts';
import { clientsFor, failureOf, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { answer, dropMidStream, neverFinish, rateLimited, serverError } from '../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../support/openai-stub-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sqlClient, type SqlClient } from '../support/sql.ts';
import { aUser } from '../support/tokens.ts';
import { grammarProblems, kinds, readAll, seen, textOf, type SeenEvent } from '../support/turn-events.ts';

let database: TestDatabase;
let stub: OpenAIStubServer;
let server: ServerProcess;
let sql: SqlClient;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
  stub = await startOpenAIStubServer();
  const catalogPath = path.join(tmpdir(), `catalog-${randomUUID()}.json`);
  writeFileSync(
    catalogPath,
    JSON.stringify([
      { id: 'stub-large', provider_model: 'stub-model', context_window_tokens: 100_000, max_output_tokens: 1_000, default: true },
      { id: 'stub-tiny', provider_model: 'stub-model', context_window_tokens: 200, max_output_tokens: 100 },
    ]),
  );
  server = await startServerProcess({
    databaseUrl: database.databaseUrl,
    env: {
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: stub.baseUrl,
      MODEL_CATALOG: catalogPath,
      HEARTBEAT_INTERVAL: '150ms',
      PROVIDER_IDLE_TIMEOUT: '5s',
      MAX_MESSAGE_BYTES: '1KiB',
    },
  });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  await server.stop();
  await stub.close();
  await sql.close();
  await database.drop();
});

async function aChat(headers: Record<string, string>, model?: string) {
  const { chat } = await client.chats.createChat({ model }, { headers });
  return chat!.id;
}

async function turnRow(chatId: string, requestId: string) {
  const [row] = await sql.rows<{ state: string; error_code: string | null; assistant_message_id: string | null }>(
    'select state, error_code, assistant_message_id from chat_turns where chat_id = $1 and request_id = $2',
    [chatId, requestId],
  );
  return row;
}

/** `turns` finished question/answer pairs `q<i>`/`a<i>` written straight into the chat, oldest first. */
async function insertHistory(chatId: string, turns: number) {
  await sql.rows(
    `insert into messages (id, tenant_id, chat_id, request_id, role, content, partial, created_at)
     select gen_random_uuid(), c.tenant_id, c.id, r.request_id, m.role, m.prefix || r.n, false,
            now() - interval '1 hour' + (r.n * 2 + m.offset_ms) * interval '1 millisecond'
       from chats c
      cross join (select n, gen_random_uuid() as request_id from generate_series(0, $2 - 1) as n) r
      cross join (values ('user', 'q', 0), ('assistant', 'a', 1)) as m (role, prefix, offset_ms)
      where c.id = $1`,
    [chatId, turns],
  );
}

async function counts() {
  return { turns: await sql.count('chat_turns'), messages: await sql.count('messages'), outbox: await sql.count('outbox') };
}

describe('Generate streams a turn', () => {
  it('streams started, each piece the model sent as its own delta, in order, and done, numbered from 1, and ends OK', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    // The stub sends each piece only once the client has received the one before: a model producing
    // tokens over time, as every real one does.
    const received = [Promise.withResolvers<void>(), Promise.withResolvers<void>(), Promise.withResolvers<void>()];
    stub.respondOnceWith(
      answer(['Hello', ', ', 'world'], { usage: { promptTokens: 12, completionTokens: 3 }, beforePiece: (index) => (index === 0 ? Promise.resolve() : received[index - 1]!.promise) }),
    );
    const events: SeenEvent[] = [];
    for await (const event of client.turns.generate({ chatId, requestId: randomUUID(), content: 'Say hello' }, { headers: user.headers })) {
      events.push(seen(event));
      if (event.event.case === 'delta') received[events.filter((e) => e.kind === 'delta').length - 1]?.resolve();
    }
    expect(grammarProblems(events)).toEqual([]);
    // Heartbeats may fall between deltas on a loaded machine (the interval here is 150 ms).
    expect(kinds(events).filter((kind) => kind !== 'heartbeat')).toEqual(['started', 'delta', 'delta', 'delta', 'done']);
    expect(textOf(events)).toBe('Hello, world');
    expect(events[0]?.value).toMatchObject({ chatId, isNewTurn: true, model: 'stub-large' });
    expect(events.at(-1)?.value).toMatchObject({ model: 'stub-large', usage: { inputTokens: 12, outputTokens: 3 } });
  });

  it('sends text that reached the service together (a backlog) in fewer deltas, in order, and stores all of it', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const pieces = Array.from({ length: 500 }, (_, index) => `piece ${index};`);
    stub.respondOnceWith(answer(pieces, { isWrittenTogether: true }));
    const events = await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'Backlog' }, { headers: user.headers }));
    expect(grammarProblems(events)).toEqual([]);
    expect(textOf(events)).toBe(pieces.join(''));
    // One socket write of ~80 KB reaches the service in a few reads; each read goes out as one delta.
    expect(kinds(events).filter((kind) => kind === 'delta').length).toBeLessThanOrEqual(20);
    const { messages } = await client.chats.listMessages({ chatId }, { headers: user.headers });
    expect(messages.map((m) => m.content)).toEqual(['Backlog', pieces.join('')]);
  });

  it('makes the answer readable as soon as done arrived, under the message id announced in started', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    stub.respondOnceWith(answer(['Stored', ' answer']));
    const events = await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'Store this' }, { headers: user.headers }));
    const { messages } = await client.chats.listMessages({ chatId }, { headers: user.headers });
    expect(messages.map((m) => m.content)).toEqual(['Store this', 'Stored answer']);
    expect(messages[1]?.id).toBe(events[0]?.value.messageId);
    expect(messages[1]?.id).toBe(events.at(-1)?.value.messageId);
  });

  it('makes a request id when the client sends none and reports it in started', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const events = await readAll(client.turns.generate({ chatId, content: 'no id' }, { headers: user.headers }));
    const requestId = String(events[0]?.value.requestId);
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const { turn } = await client.turns.getTurn({ chatId, requestId }, { headers: user.headers });
    expect(turn).toMatchObject({ requestId, state: 2 /* COMPLETED */, deleted: false });
  });

  it('writes exactly one turn_completed audit event that matches the schema', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(answer(['ok'], { usage: { promptTokens: 5, completionTokens: 1 } }));
    await readAll(client.turns.generate({ chatId, requestId, content: 'audit me' }, { headers: user.headers }));
    const events = await auditEventsOf(sql, chatId);
    expect(events.map((event) => event.event_type)).toEqual(['turn_completed']);
    expect(events[0]?.payload).toMatchObject({ request_id: requestId, model: 'stub-large', usage: { input_tokens: 5, output_tokens: 1 }, finish_reason: 'stop', actor_user_id: user.userId });
  });

  it('sends the provider the system prompt, the earlier turns and the new message, oldest first', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    stub.respondOnceWith(answer(['first answer']));
    await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'first question' }, { headers: user.headers }));
    const requestsBefore = stub.requests.length;
    stub.respondOnceWith(answer(['second answer']));
    await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'second question' }, { headers: user.headers }));
    const body = stub.requests[requestsBefore]?.body as { messages: Array<{ role: string; content: string }>; model: string };
    expect(body.model).toBe('stub-model');
    expect(body.messages.map((m) => [m.role, m.content])).toEqual([
      ['system', expect.any(String)],
      ['user', 'first question'],
      ['assistant', 'first answer'],
      ['user', 'second question'],
    ]);
  });

  it('sends a long history whole when it fits the budget: all 1,200 earlier messages, oldest first', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    await insertHistory(chatId, 600);
    const requestsBefore = stub.requests.length;
    stub.respondOnceWith(answer(['ok']));
    await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'now' }, { headers: user.headers }));
    const sent = (stub.requests[requestsBefore]?.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(sent).toHaveLength(1 + 1_200 + 1);
    expect(sent.slice(1, 3).map((m) => m.content)).toEqual(['q0', 'a0']);
    expect(sent.slice(-3).map((m) => m.content)).toEqual(['q599', 'a599', 'now']);
  });

  it('sends only the newest history that fits a small budget, dropping the oldest', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers, 'stub-tiny');
    await insertHistory(chatId, 50);
    const requestsBefore = stub.requests.length;
    stub.respondOnceWith(answer(['ok']));
    await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'now' }, { headers: user.headers }));
    const sent = (stub.requests[requestsBefore]?.body as { messages: Array<{ role: string; content: string }> }).messages;
    const history = sent.slice(1, -1).map((m) => m.content);
    expect(history.length).toBeGreaterThan(0);
    expect(history.length).toBeLessThan(100);
    expect(history.at(-1)).toBe('a49');
    // Contiguous and oldest first: exactly the newest messages of the chat.
    const everything = Array.from({ length: 50 }, (_, i) => [`q${i}`, `a${i}`]).flat();
    expect(history).toEqual(everything.slice(-history.length));
  });

  it('sends a heartbeat while the first token is slow', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    stub.respondOnceWith(answer(['late'], { firstPieceDelayMs: 700 }));
    const events = await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'take your time' }, { headers: user.headers }));
    expect(grammarProblems(events)).toEqual([]);
    const firstDelta = kinds(events).indexOf('delta');
    expect(kinds(events).slice(1, firstDelta)).toContain('heartbeat');
  });
});

describe('Generate replay and request ids', () => {
  it('answers MODEL_UNAVAILABLE for a new turn in a chat whose model left the catalog, writing nothing, and still replays its completed turns', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(answer(['kept']));
    await readAll(client.turns.generate({ chatId, requestId, content: 'before the model left' }, { headers: user.headers }));
    await sql.rows('update chats set model = $1 where id = $2', ['retired-model', chatId]);
    const modelCalls = stub.requests.length;
    const before = await counts();

    const replay = await readAll(client.turns.generate({ chatId, requestId, content: 'before the model left' }, { headers: user.headers }));
    const failure = await failureOf(readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'after' }, { headers: user.headers })));

    expect(kinds(replay)).toEqual(['started', 'delta', 'done']);
    expect(replay[1]?.value.text).toBe('kept');
    expect(failure).toMatchObject({ code: Code.FailedPrecondition, reason: 'MODEL_UNAVAILABLE', domain: 'minichat' });
    expect(stub.requests.length).toBe(modelCalls);
    expect(await counts()).toEqual(before);
  });

  it('replays a completed request id without calling the model or writing anything', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    // Cut short by the output limit, so the replay must say `length`, not the default `stop`.
    stub.respondOnceWith(answer(['The', ' answer'], { usage: { promptTokens: 7, completionTokens: 2 }, finishReason: 'length' }));
    const original = await readAll(client.turns.generate({ chatId, requestId, content: 'question' }, { headers: user.headers }));
    const modelCalls = stub.requests.length;
    const before = await counts();
    const replay = await readAll(client.turns.generate({ chatId, requestId, content: 'question' }, { headers: user.headers }));
    expect(kinds(replay)).toEqual(['started', 'delta', 'done']);
    expect(replay[0]?.value).toMatchObject({ isNewTurn: false, turnId: original[0]?.value.turnId, messageId: original[0]?.value.messageId, model: 'stub-large' });
    expect(replay[1]?.value.text).toBe('The answer');
    expect(original.at(-1)?.value).toMatchObject({ finishReason: FinishReason.LENGTH });
    expect(replay[2]?.value).toMatchObject({ usage: { inputTokens: 7, outputTokens: 2 }, model: 'stub-large', finishReason: FinishReason.LENGTH });
    expect(stub.requests.length).toBe(modelCalls);
    expect(await counts()).toEqual(before);
  });

  it('answers REQUEST_ID_CONFLICT for the request id of a failed turn', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(serverError);
    await readAll(client.turns.generate({ chatId, requestId, content: 'fails' }, { headers: user.headers }));
    const failure = await failureOf(readAll(client.turns.generate({ chatId, requestId, content: 'fails' }, { headers: user.headers })));
    expect(failure).toMatchObject({ code: Code.AlreadyExists, reason: 'REQUEST_ID_CONFLICT' });
  });

  it('answers REQUEST_ID_CONFLICT for the request id of a deleted turn', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    await readAll(client.turns.generate({ chatId, requestId, content: 'to be deleted' }, { headers: user.headers }));
    await sql.rows('update chat_turns set deleted_at = now() where chat_id = $1 and request_id = $2', [chatId, requestId]);
    const failure = await failureOf(readAll(client.turns.generate({ chatId, requestId, content: 'again' }, { headers: user.headers })));
    expect(failure).toMatchObject({ code: Code.AlreadyExists, reason: 'REQUEST_ID_CONFLICT' });
  });

  it('answers REQUEST_ID_CONFLICT for the request id of a running turn, then of the cancelled one', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['thinking']));
    const abort = new AbortController();
    const stream = client.turns.generate({ chatId, requestId, content: 'long' }, { headers: user.headers, signal: abort.signal })[Symbol.asyncIterator]();
    expect(seen((await stream.next()).value).kind).toBe('started');
    expect(seen((await stream.next()).value).kind).toBe('delta');
    const whileRunning = await failureOf(readAll(client.turns.generate({ chatId, requestId, content: 'long' }, { headers: user.headers })));
    expect(whileRunning).toMatchObject({ code: Code.AlreadyExists, reason: 'REQUEST_ID_CONFLICT' });
    abort.abort();
    await expect(stream.next()).rejects.toBeInstanceOf(ConnectError);
    await eventually(async () => expect((await turnRow(chatId, requestId))?.state).toBe('cancelled'), { timeoutMs: 5_000 });
    const afterCancel = await failureOf(readAll(client.turns.generate({ chatId, requestId, content: 'long' }, { headers: user.headers })));
    expect(afterCancel).toMatchObject({ code: Code.AlreadyExists, reason: 'REQUEST_ID_CONFLICT' });
  });
});

describe('Generate concurrency and cancellation', () => {
  it('lets exactly one of two concurrent Generates in a chat stream; the other is ABORTED / GENERATION_IN_PROGRESS', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    stub.respondWith(answer(['slow', ' answer'], { pieceDelayMs: 100 }));
    try {
      const results = await Promise.allSettled([
        readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'one' }, { headers: user.headers })),
        readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'two' }, { headers: user.headers })),
      ]);
      const streamed = results.filter((result) => result.status === 'fulfilled');
      const refused = results.flatMap((result) => (result.status === 'rejected' ? [ConnectError.from(result.reason)] : []));
      expect(streamed).toHaveLength(1);
      expect(refused.map((error) => error.code)).toEqual([Code.Aborted]);
      expect((await failureOf(Promise.reject(refused[0]))).reason).toBe('GENERATION_IN_PROGRESS');
      expect(await sql.rows('select 1 from chat_turns where chat_id = $1', [chatId])).toHaveLength(1);
    } finally {
      stub.respondWith(answer(['Hello', ' world']));
    }
  });

  it('on client cancel aborts the provider within 200 ms, ends the turn cancelled and keeps the partial answer', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['partial ', 'text']));
    const requestIndex = stub.requests.length;
    const abort = new AbortController();
    const received: SeenEvent[] = [];
    const reading = (async () => {
      for await (const event of client.turns.generate({ chatId, requestId, content: 'go' }, { headers: user.headers, signal: abort.signal })) {
        received.push(seen(event));
        if (textOfReceived(received) === 'partial text') abort.abort();
      }
    })();
    const failure = await failureOf(reading);
    const abortedAt = performance.now();
    expect(failure.code).toBe(Code.Canceled);
    const providerClosedAt = await (await stub.waitForRequest(requestIndex)).clientClosed;
    expect(providerClosedAt - abortedAt).toBeLessThan(200);
    await eventually(async () => expect((await turnRow(chatId, requestId))?.state).toBe('cancelled'), { timeoutMs: 5_000 });
    const [partial] = await sql.rows<{ content: string; partial: boolean }>(
      `select content, partial from messages where chat_id = $1 and role = 'assistant'`,
      [chatId],
    );
    expect(partial).toEqual({ content: 'partial text', partial: true });
    expect((await auditEventsOf(sql, chatId)).map((event) => event.event_type)).toEqual(['turn_cancelled']);
    // The prompt reached the provider, so its tokens were spent: estimated, never 0.
    const usage = await usageOf(chatId, requestId);
    expect(usage.turn.input_tokens).toBeGreaterThan(0);
    expect(usage.turn.output_tokens).toBeGreaterThan(0);
    expect(usage.audit).toEqual({ input_tokens: usage.turn.input_tokens, output_tokens: usage.turn.output_tokens });
  });
});

/** The usage stored on the turn and the one its audit event reports. */
async function usageOf(chatId: string, requestId: string) {
  const [turn] = await sql.rows<{ input_tokens: number; output_tokens: number }>(
    'select input_tokens, output_tokens from chat_turns where chat_id = $1 and request_id = $2',
    [chatId, requestId],
  );
  const [event] = await auditEventsOf(sql, chatId);
  return { turn: turn ?? { input_tokens: 0, output_tokens: 0 }, audit: (event?.payload as { usage?: unknown } | undefined)?.usage };
}

function textOfReceived(events: SeenEvent[]): string {
  return textOf(events);
}

describe('Generate provider failures', () => {
  it.each([
    ['a 429', rateLimited, 'rate_limited'],
    ['a 500', serverError, 'provider_error'],
  ])('ends with failed after %s from the provider, the turn FAILED with that code and a turn_failed event', async (_name, behaviour, code) => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(behaviour);
    const events = await readAll(client.turns.generate({ chatId, requestId, content: 'fail please' }, { headers: user.headers }));
    expect(grammarProblems(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'failed', value: { code } });
    expect(await turnRow(chatId, requestId)).toMatchObject({ state: 'failed', error_code: code, assistant_message_id: null });
    const audit = await auditEventsOf(sql, chatId);
    expect(audit.map((event) => [event.event_type, event.payload.error_code])).toEqual([['turn_failed', code]]);
  });

  it('ends with failed / provider_error when the provider drops the connection mid-stream, after the deltas it sent', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const requestId = randomUUID();
    stub.respondOnceWith(dropMidStream(['half ']));
    const events = await readAll(client.turns.generate({ chatId, requestId, content: 'drop' }, { headers: user.headers }));
    expect(grammarProblems(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'failed', value: { code: 'provider_error' } });
    expect((await turnRow(chatId, requestId))?.state).toBe('failed');
    const usage = await usageOf(chatId, requestId);
    expect(usage.turn.input_tokens).toBeGreaterThan(0);
    expect(usage.audit).toEqual({ input_tokens: usage.turn.input_tokens, output_tokens: usage.turn.output_tokens });
  });

  it('fails the turn with context_length_exceeded when the message alone exceeds the model budget, and leaves the chat usable', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers, 'stub-tiny');
    const requestId = randomUUID();
    const modelCalls = stub.requests.length;
    const events = await readAll(client.turns.generate({ chatId, requestId, content: 'word '.repeat(190) }, { headers: user.headers }));
    expect(kinds(events)).toEqual(['started', 'failed']);
    expect(events[1]?.value.code).toBe('context_length_exceeded');
    expect(stub.requests.length).toBe(modelCalls);
    expect(await turnRow(chatId, requestId)).toMatchObject({ state: 'failed', error_code: 'context_length_exceeded' });
    const next = await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'short' }, { headers: user.headers }));
    expect(next.at(-1)?.kind).toBe('done');
  });
});

describe('Generate attachments', () => {
  it('links live attachments of the chat to the user message and sends text attachments to the model', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const attachmentId = await anAttachment(sql, { ...user, chatId, filename: 'facts.txt', content: 'the sky is green' });
    const pictureId = await anAttachment(sql, { ...user, chatId, filename: 'photo.png', contentType: 'image/png', content: 'PNG-BYTES' });
    const requestIndex = stub.requests.length;
    await readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'read the file', attachmentIds: [attachmentId, pictureId] }, { headers: user.headers }));
    const { messages } = await client.chats.listMessages({ chatId }, { headers: user.headers });
    expect(messages[0]?.attachmentIds).toEqual([attachmentId, pictureId]);
    const body = stub.requests[requestIndex]?.body as { messages: Array<{ content: string }> };
    expect(body.messages.at(-1)?.content).toContain('the sky is green');
    // Only text/* is given to the model as text: an image is linked, its bytes are not sent.
    expect(JSON.stringify(body.messages)).not.toContain('PNG-BYTES');
    expect(JSON.stringify(body.messages)).not.toContain('photo.png');
  });

  it('refuses an unknown, deleted, foreign or other-chat attachment with INVALID_ATTACHMENT naming its index, writing nothing', async () => {
    const user = await aUser();
    const stranger = await aUser({ tenantId: user.tenantId });
    const chatId = await aChat(user.headers);
    const otherChatId = await aChat(user.headers);
    const good = await anAttachment(sql, { ...user, chatId });
    const bad = [
      randomUUID(),
      await anAttachment(sql, { ...user, chatId, isDeleted: true }),
      await anAttachment(sql, { ...stranger, chatId }),
      await anAttachment(sql, { ...user, chatId: otherChatId }),
    ];
    for (const badId of bad) {
      const before = await counts();
      const failure = await failureOf(readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'x', attachmentIds: [good, badId] }, { headers: user.headers })));
      expect(failure).toMatchObject({ code: Code.InvalidArgument, reason: 'INVALID_ATTACHMENT', fields: ['attachment_ids[1]'] });
      expect(await counts()).toEqual(before);
    }
  });
});

describe('Generate input validation', () => {
  const cases: Array<[string, (chatId: string) => Record<string, unknown>, string]> = [
    ['blank content', (chatId) => ({ chatId, content: '   \n' }), 'content'],
    ['content over MAX_MESSAGE_BYTES', (chatId) => ({ chatId, content: 'é'.repeat(600) }), 'content'],
    ['a malformed chat id', () => ({ chatId: 'chat-1', content: 'hi' }), 'chat_id'],
    ['a malformed request id', (chatId) => ({ chatId, requestId: 'req-1', content: 'hi' }), 'request_id'],
    ['a malformed attachment id', (chatId) => ({ chatId, content: 'hi', attachmentIds: ['x'] }), 'attachment_ids[0]'],
    ['a repeated attachment id', (chatId) => ({ chatId, content: 'hi', attachmentIds: [chatId, chatId] }), 'attachment_ids'],
    ['21 attachment ids', (chatId) => ({ chatId, content: 'hi', attachmentIds: Array.from({ length: 21 }, () => randomUUID()) }), 'attachment_ids'],
  ];

  it.each(cases)('answers INVALID_ARGUMENT for %s, before any lookup, writing nothing', async (_name, request, field) => {
    const user = await aUser();
    const before = await counts();
    const failure = await failureOf(readAll(client.turns.generate(request(randomUUID()), { headers: user.headers })));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, reason: 'INVALID_ARGUMENT', fields: [field] });
    expect(await counts()).toEqual(before);
  });

  it('answers CHAT_NOT_FOUND for another user’s chat and writes nothing', async () => {
    const owner = await aUser();
    const stranger = await aUser();
    const chatId = await aChat(owner.headers);
    const failure = await failureOf(readAll(client.turns.generate({ chatId, content: 'hi' }, { headers: stranger.headers })));
    expect(failure).toMatchObject({ code: Code.NotFound, reason: 'CHAT_NOT_FOUND' });
    expect(await sql.rows('select 1 from chat_turns where chat_id = $1', [chatId])).toEqual([]);
  });

  it('answers GetTurn for an unknown request id with TURN_NOT_FOUND', async () => {
    const user = await aUser();
    const chatId = await aChat(user.headers);
    const failure = await failureOf(client.turns.getTurn({ chatId, requestId: randomUUID() }, { headers: user.headers }));
    expect(failure).toMatchObject({ code: Code.NotFound, reason: 'TURN_NOT_FOUND' });
  });
});
