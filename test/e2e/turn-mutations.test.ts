import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf } from '../support/audit-events.ts';
import { anAttachment } from '../support/builders.ts';
import { clientsFor, failureOf, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { metricValue } from '../support/metrics.ts';
import { answer, neverFinish, serverError } from '../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../support/openai-stub-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sqlClient, type SqlClient } from '../support/sql.ts';
import { aUser } from '../support/tokens.ts';
import { readAll, seen, textOf } from '../support/turn-events.ts';

let database: TestDatabase;
let stub: OpenAIStubServer;
let server: ServerProcess;
let sql: SqlClient;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
  stub = await startOpenAIStubServer();
  server = await startServerProcess({ databaseUrl: database.databaseUrl, env: { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.baseUrl } });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  await server.stop();
  await stub.close();
  await sql.close();
  await database.drop();
});

type User = Awaited<ReturnType<typeof aUser>>;

async function aChat(user: User) {
  return (await client.chats.createChat({}, { headers: user.headers })).chat!.id;
}

/** Generates one finished turn and returns its request id. */
async function aTurn(user: User, chatId: string, content: string, reply = [`answer to ${content}`]) {
  const requestId = randomUUID();
  stub.respondOnceWith(answer(reply));
  await readAll(client.turns.generate({ chatId, requestId, content }, { headers: user.headers }));
  return requestId;
}

async function liveTurns(chatId: string) {
  return sql.rows<{ request_id: string; state: string }>('select request_id, state from chat_turns where chat_id = $1 and deleted_at is null', [chatId]);
}

describe('Retry', () => {
  it('replaces the latest completed turn: streams a new answer under a new request id, the old turn deleted and replaced', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const oldRequestId = await aTurn(user, chatId, 'question');
    stub.respondOnceWith(answer(['second ', 'try']));
    const events = await readAll(client.turns.retry({ chatId, requestId: oldRequestId }, { headers: user.headers }));
    expect(events[0]).toMatchObject({ kind: 'started', value: { replacesRequestId: oldRequestId, isNewTurn: true } });
    const newRequestId = String(events[0]?.value.requestId);
    expect(newRequestId).not.toBe(oldRequestId);
    expect(textOf(events)).toBe('second try');
    expect(events.at(-1)?.kind).toBe('done');
    const { messages } = await client.chats.listMessages({ chatId }, { headers: user.headers });
    expect(messages.map((m) => [m.content, m.requestId])).toEqual([
      ['question', newRequestId],
      ['second try', newRequestId],
    ]);
    const old = (await client.turns.getTurn({ chatId, requestId: oldRequestId }, { headers: user.headers })).turn;
    expect(old).toMatchObject({ deleted: true, replacedByRequestId: newRequestId, state: 2 });
    const audit = await auditEventsOf(sql, chatId);
    expect(audit.map((event) => event.event_type)).toEqual(['turn_completed', 'turn_retry', 'turn_completed']);
    expect(audit[1]?.payload).toMatchObject({ original_request_id: oldRequestId, new_request_id: newRequestId });
  });

  it('retries a failed turn', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    stub.respondOnceWith(serverError);
    await readAll(client.turns.generate({ chatId, requestId, content: 'try me' }, { headers: user.headers }));
    const events = await readAll(client.turns.retry({ chatId, requestId }, { headers: user.headers }));
    expect(events.at(-1)?.kind).toBe('done');
  });

  it('retries a cancelled turn', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['part']));
    const abort = new AbortController();
    const stream = client.turns.generate({ chatId, requestId, content: 'cancel me' }, { headers: user.headers, signal: abort.signal })[Symbol.asyncIterator]();
    expect(seen((await stream.next()).value).kind).toBe('started');
    // Cancel only once the provider is answering, so the stub's scripted answer is used up here.
    expect(seen((await stream.next()).value).kind).toBe('delta');
    abort.abort();
    await expect(stream.next()).rejects.toBeInstanceOf(ConnectError);
    await eventually(async () => expect((await liveTurns(chatId))[0]?.state).toBe('cancelled'), { timeoutMs: 5_000 });
    const events = await readAll(client.turns.retry({ chatId, requestId }, { headers: user.headers }));
    expect(events.at(-1)?.kind).toBe('done');
  });

  it('copies the attachment links of the old message, skipping deleted attachments', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const kept = await anAttachment(sql, { ...user, chatId, content: 'kept' });
    const dropped = await anAttachment(sql, { ...user, chatId, content: 'dropped' });
    const requestId = randomUUID();
    await readAll(client.turns.generate({ chatId, requestId, content: 'files', attachmentIds: [kept, dropped] }, { headers: user.headers }));
    await sql.rows('update attachments set deleted_at = now() where id = $1', [dropped]);
    await readAll(client.turns.retry({ chatId, requestId }, { headers: user.headers }));
    const { messages } = await client.chats.listMessages({ chatId }, { headers: user.headers });
    expect(messages[0]?.attachmentIds).toEqual([kept]);
  });
});

describe('Edit', () => {
  it('streams an answer to the new text and sends the model history without the replaced turn', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    await aTurn(user, chatId, 'first');
    const second = await aTurn(user, chatId, 'second');
    const requestIndex = stub.requests.length;
    stub.respondOnceWith(answer(['edited answer']));
    const events = await readAll(client.turns.edit({ chatId, requestId: second, content: 'second, edited' }, { headers: user.headers }));
    expect(events[0]?.value.replacesRequestId).toBe(second);
    const body = stub.requests[requestIndex]?.body as { messages: Array<{ role: string; content: string }> };
    expect(body.messages.slice(1).map((m) => m.content)).toEqual(['first', 'answer to first', 'second, edited']);
    const { messages } = await client.chats.listMessages({ chatId }, { headers: user.headers });
    expect(messages.map((m) => m.content)).toEqual(['first', 'answer to first', 'second, edited', 'edited answer']);
    expect((await auditEventsOf(sql, chatId)).map((e) => e.event_type)).toContain('turn_edit');
  });

  it('validates the new content like Generate: blank content is INVALID_ARGUMENT and changes nothing', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = await aTurn(user, chatId, 'keep me');
    const failure = await failureOf(readAll(client.turns.edit({ chatId, requestId, content: '  ' }, { headers: user.headers })));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, fields: ['content'] });
    expect(await liveTurns(chatId)).toEqual([{ request_id: requestId, state: 'completed' }]);
  });
});

describe('Delete', () => {
  it('soft-deletes the latest turn and its messages and writes turn_delete', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const first = await aTurn(user, chatId, 'stay');
    const second = await aTurn(user, chatId, 'go');
    await client.turns.delete({ chatId, requestId: second }, { headers: user.headers });
    const { messages } = await client.chats.listMessages({ chatId }, { headers: user.headers });
    expect(messages.map((m) => m.requestId)).toEqual([first, first]);
    const deleted = (await client.turns.getTurn({ chatId, requestId: second }, { headers: user.headers })).turn;
    expect(deleted).toMatchObject({ deleted: true, replacedByRequestId: '' });
    const audit = await auditEventsOf(sql, chatId);
    expect(audit.at(-1)).toMatchObject({ event_type: 'turn_delete', payload: { request_id: second } });
  });
});

describe('the validation sequence of Retry, Edit and Delete', () => {
  it('answers CHAT_NOT_FOUND for another tenant’s chat', async () => {
    const owner = await aUser();
    const chatId = await aChat(owner);
    const requestId = await aTurn(owner, chatId, 'mine');
    const failure = await failureOf(client.turns.delete({ chatId, requestId }, { headers: (await aUser()).headers }));
    expect(failure).toMatchObject({ code: Code.NotFound, reason: 'CHAT_NOT_FOUND' });
  });

  it('answers TURN_NOT_FOUND for an unknown request id', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const failure = await failureOf(readAll(client.turns.retry({ chatId, requestId: randomUUID() }, { headers: user.headers })));
    expect(failure).toMatchObject({ code: Code.NotFound, reason: 'TURN_NOT_FOUND' });
  });

  it('answers FORBIDDEN for a turn another requester made in the chat', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = await aTurn(user, chatId, 'made by a system actor');
    await sql.rows(`update chat_turns set requester_user_id = $1, requester_type = 'system' where request_id = $2`, [randomUUID(), requestId]);
    const failure = await failureOf(client.turns.delete({ chatId, requestId }, { headers: user.headers }));
    expect(failure).toMatchObject({ code: Code.PermissionDenied, reason: 'FORBIDDEN' });
  });

  it('answers INVALID_TURN_STATE for a running turn', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['...']));
    const abort = new AbortController();
    const stream = client.turns.generate({ chatId, requestId, content: 'busy' }, { headers: user.headers, signal: abort.signal })[Symbol.asyncIterator]();
    await stream.next();
    expect(seen((await stream.next()).value).kind).toBe('delta');
    const failure = await failureOf(client.turns.delete({ chatId, requestId }, { headers: user.headers }));
    expect(failure).toMatchObject({ code: Code.FailedPrecondition, reason: 'INVALID_TURN_STATE' });
    abort.abort();
    await expect(stream.next()).rejects.toBeInstanceOf(ConnectError);
  });

  it('answers NOT_LATEST_TURN for an older turn, a deleted turn and a replaced turn', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const older = await aTurn(user, chatId, 'older');
    const deleted = await aTurn(user, chatId, 'deleted');
    await client.turns.delete({ chatId, requestId: deleted }, { headers: user.headers });
    const replaced = await aTurn(user, chatId, 'replaced');
    await readAll(client.turns.retry({ chatId, requestId: replaced }, { headers: user.headers }));
    await aTurn(user, chatId, 'latest');
    for (const requestId of [older, deleted, replaced]) {
      const failure = await failureOf(client.turns.delete({ chatId, requestId }, { headers: user.headers }));
      expect(failure).toMatchObject({ code: Code.FailedPrecondition, reason: 'NOT_LATEST_TURN' });
    }
  });

  it('answers INVALID_ARGUMENT for malformed ids before any lookup', async () => {
    const user = await aUser();
    const failure = await failureOf(client.turns.delete({ chatId: 'x', requestId: 'y' }, { headers: user.headers }));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, fields: ['chat_id', 'request_id'] });
  });

  it('refuses a read-only token with FORBIDDEN', async () => {
    const user = await aUser({ scope: 'ai:mini_chat:read' });
    const failure = await failureOf(client.turns.delete({ chatId: randomUUID(), requestId: randomUUID() }, { headers: user.headers }));
    expect(failure).toMatchObject({ code: Code.PermissionDenied, reason: 'FORBIDDEN' });
  });
});

describe('concurrent mutations', () => {
  it('lets exactly one of 10 concurrent Retries of one turn stream; the rest are NOT_LATEST_TURN or GENERATION_IN_PROGRESS', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = await aTurn(user, chatId, 'retry me');
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => readAll(client.turns.retry({ chatId, requestId }, { headers: user.headers }))));
    const reasons = await Promise.all(results.flatMap((r) => (r.status === 'rejected' ? [failureOf(Promise.reject(r.reason as Error))] : [])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const failure of reasons) expect(['NOT_LATEST_TURN', 'GENERATION_IN_PROGRESS']).toContain(failure.reason);
    expect(await sql.rows('select 1 from chat_turns where chat_id = $1', [chatId])).toHaveLength(2);
    const audit = await auditEventsOf(sql, chatId);
    expect(audit.filter((e) => e.event_type === 'turn_retry')).toHaveLength(1);
  });

  it('lets exactly one of a Retry and a Delete racing on the latest turn succeed', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = await aTurn(user, chatId, 'contested');
    const [retry, del] = await Promise.allSettled([
      readAll(client.turns.retry({ chatId, requestId }, { headers: user.headers })),
      client.turns.delete({ chatId, requestId }, { headers: user.headers }),
    ]);
    const outcomes = [retry.status, del.status];
    expect(outcomes.filter((s) => s === 'fulfilled')).toHaveLength(1);
    const loser = retry.status === 'rejected' ? retry.reason : del.status === 'rejected' ? del.reason : undefined;
    expect((await failureOf(Promise.reject(loser as Error))).reason).toBe('NOT_LATEST_TURN');
  });

  it('keeps the chat consistent when a Delete races a Generate: never INTERNAL, at most one live turn per request', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = await aTurn(user, chatId, 'old');
    const [generate, del] = await Promise.allSettled([
      readAll(client.turns.generate({ chatId, requestId: randomUUID(), content: 'new' }, { headers: user.headers })),
      client.turns.delete({ chatId, requestId }, { headers: user.headers }),
    ]);
    expect(generate.status).toBe('fulfilled');
    if (del.status === 'rejected') expect((await failureOf(Promise.reject(del.reason as Error))).reason).toBe('NOT_LATEST_TURN');
    const turns = await liveTurns(chatId);
    expect(turns.filter((t) => t.state === 'running')).toEqual([]);
    expect(turns.some((t) => t.request_id === requestId)).toBe(del.status === 'rejected');
  });
});

describe('rollback', () => {
  it('leaves the old turn live and writes no new turn or event when the Retry fails after the soft delete', async () => {
    const user = await aUser();
    const chatId = await aChat(user);
    const requestId = await aTurn(user, chatId, 'survive');
    const eventsBefore = (await auditEventsOf(sql, chatId)).length;
    // A real database failure at one seam: inserting the new turn of this chat raises.
    await sql.rows(`create or replace function fail_turn_insert() returns trigger language plpgsql as $$
      begin if new.chat_id = '${chatId}' then raise exception 'injected failure'; end if; return new; end $$`);
    await sql.rows('create trigger fail_turn_insert before insert on chat_turns for each row execute function fail_turn_insert()');
    try {
      const failure = await failureOf(readAll(client.turns.retry({ chatId, requestId }, { headers: user.headers })));
      expect(failure.code).toBe(Code.Internal);
    } finally {
      await sql.rows('drop trigger fail_turn_insert on chat_turns');
    }
    expect(await liveTurns(chatId)).toEqual([{ request_id: requestId, state: 'completed' }]);
    const { messages } = await client.chats.listMessages({ chatId }, { headers: user.headers });
    expect(messages.map((m) => m.requestId)).toEqual([requestId, requestId]);
    expect((await auditEventsOf(sql, chatId)).length).toBe(eventsBefore);
  });
});

describe('mutation metrics', () => {
  it('counts Retry, Edit and Delete outcomes, authorization failures included', async () => {
    const series = async () => ({
      retryOk: await metricValue(server.metricsUrl, 'mini_chat_turn_mutation_total', { op: 'retry', result: 'ok' }),
      deleteNotLatest: await metricValue(server.metricsUrl, 'mini_chat_turn_mutation_total', { op: 'delete', result: 'not_latest' }),
      deleteForbidden: await metricValue(server.metricsUrl, 'mini_chat_turn_mutation_total', { op: 'delete', result: 'forbidden' }),
      editLatencyCount: await metricValue(server.metricsUrl, 'mini_chat_turn_mutation_latency_ms_count', { op: 'edit' }),
    });
    const before = await series();
    const user = await aUser();
    const chatId = await aChat(user);
    const first = await aTurn(user, chatId, 'one');
    await aTurn(user, chatId, 'two');
    const latest = (await liveTurns(chatId)).find((t) => t.request_id !== first)!.request_id;
    await readAll(client.turns.retry({ chatId, requestId: latest }, { headers: user.headers }));
    await failureOf(client.turns.delete({ chatId, requestId: first }, { headers: user.headers }));
    await failureOf(client.turns.delete({ chatId, requestId: first }, { headers: (await aUser({ scope: 'ai:mini_chat:read' })).headers }));
    await failureOf(readAll(client.turns.edit({ chatId, requestId: first, content: 'x' }, { headers: user.headers })));
    expect(await series()).toEqual({
      retryOk: before.retryOk + 1,
      deleteNotLatest: before.deleteNotLatest + 1,
      deleteForbidden: before.deleteForbidden + 1,
      editLatencyCount: before.editLatencyCount + 1,
    });
  });
});
