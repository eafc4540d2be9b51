import { randomUUID } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf } from '../support/audit-events.ts';
import { aCompletedTurn } from '../support/builders.ts';
import { clientsFor, failureOf, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sqlClient, type SqlClient } from '../support/sql.ts';
import { aUser } from '../support/tokens.ts';

let database: TestDatabase;
let server: ServerProcess;
let sql: SqlClient;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
  server = await startServerProcess({ databaseUrl: database.databaseUrl });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
  await sql.close();
  await database.drop();
});

describe('ChatService over gRPC', () => {
  it('creates a chat on the catalog default model and reads it back with GetChat', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({ title: 'Trip planning' }, { headers: user.headers });
    expect(chat).toMatchObject({ title: 'Trip planning', model: 'echo' });
    expect(chat?.id).toMatch(/^[0-9a-f-]{36}$/);
    const read = await client.chats.getChat({ chatId: chat!.id }, { headers: user.headers });
    expect(read.chat).toEqual(chat);
  });

  it('lists the caller’s chats newest update first, page by page, with a token per page', async () => {
    const user = await aUser();
    const created = [];
    for (const title of ['one', 'two', 'three', 'four', 'five']) {
      created.push((await client.chats.createChat({ title }, { headers: user.headers })).chat!);
    }
    const first = await client.chats.listChats({ pageSize: 2 }, { headers: user.headers });
    const second = await client.chats.listChats({ pageSize: 2, pageToken: first.nextPageToken }, { headers: user.headers });
    const third = await client.chats.listChats({ pageSize: 2, pageToken: second.nextPageToken }, { headers: user.headers });
    const titles = [...first.chats, ...second.chats, ...third.chats].map((chat) => chat.title);
    expect(titles).toEqual(['five', 'four', 'three', 'two', 'one']);
    expect(third.nextPageToken).toBe('');
  });

  it('uses a page size of 20 when the page size is 0', async () => {
    const user = await aUser();
    for (let i = 0; i < 21; i++) await client.chats.createChat({ title: `chat ${i}` }, { headers: user.headers });
    const page = await client.chats.listChats({ pageSize: 0 }, { headers: user.headers });
    expect(page.chats).toHaveLength(20);
    expect(page.nextPageToken).not.toBe('');
  });

  it('soft-deletes a chat: it disappears from GetChat, ListChats and ListMessages, and chat_deleted is in the outbox', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({ title: 'to delete' }, { headers: user.headers });
    await client.chats.deleteChat({ chatId: chat!.id }, { headers: user.headers });

    expect(await failureOf(client.chats.getChat({ chatId: chat!.id }, { headers: user.headers }))).toMatchObject({
      code: Code.NotFound,
      reason: 'CHAT_NOT_FOUND',
      domain: 'minichat',
    });
    expect((await client.chats.listChats({}, { headers: user.headers })).chats).toEqual([]);
    expect((await failureOf(client.chats.listMessages({ chatId: chat!.id }, { headers: user.headers }))).reason).toBe('CHAT_NOT_FOUND');
    const [row] = await sql.rows<{ deleted_at: Date | null }>('select deleted_at from chats where id = $1', [chat!.id]);
    expect(row?.deleted_at).toBeInstanceOf(Date);
    const events = await auditEventsOf(sql, chat!.id);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({
      event_type: 'chat_deleted',
      schema_version: 1,
      tenant_id: user.tenantId,
      chat_id: chat!.id,
      requester_type: 'user',
      actor_user_id: user.userId,
    });
  });

  it('deleting an already deleted chat is CHAT_NOT_FOUND and writes no second event', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({}, { headers: user.headers });
    await client.chats.deleteChat({ chatId: chat!.id }, { headers: user.headers });
    const failure = await failureOf(client.chats.deleteChat({ chatId: chat!.id }, { headers: user.headers }));
    expect(failure).toMatchObject({ code: Code.NotFound, reason: 'CHAT_NOT_FOUND' });
    expect(await sql.rows('select 1 from outbox where chat_id = $1', [chat!.id])).toHaveLength(1);
  });

  it('lists live messages oldest first with usage and model on assistant messages only', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({}, { headers: user.headers });
    const start = Date.now();
    const first = await aCompletedTurn(sql, { ...user, chatId: chat!.id, at: new Date(start), content: 'first' });
    const second = await aCompletedTurn(sql, { ...user, chatId: chat!.id, at: new Date(start + 10), content: 'second' });
    await sql.rows('update messages set deleted_at = now() where request_id = $1', [first.requestId]);

    const page = await client.chats.listMessages({ chatId: chat!.id }, { headers: user.headers });
    expect(page.messages.map((message) => message.id)).toEqual([second.userMessageId, second.assistantMessageId]);
    const [question, answer] = page.messages;
    expect(question).toMatchObject({ content: 'second', model: '', requestId: second.requestId });
    expect(question?.usage).toBeUndefined();
    expect(answer).toMatchObject({ model: 'echo', usage: { inputTokens: 3, outputTokens: 5 }, partial: false });
  });

  it('pages through messages with page tokens', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({}, { headers: user.headers });
    const start = Date.now();
    for (let i = 0; i < 3; i++) await aCompletedTurn(sql, { ...user, chatId: chat!.id, at: new Date(start + i * 10), content: `m${i}` });
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await client.chats.listMessages({ chatId: chat!.id, pageSize: 4, pageToken }, { headers: user.headers });
      seen.push(...page.messages.map((message) => message.content));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(seen).toEqual(['m0', 'echo: m0', 'm1', 'echo: m1', 'm2', 'echo: m2']);
  });
});

describe('ChatService owner scoping', () => {
  it('answers CHAT_NOT_FOUND to another tenant and to another user of the same tenant, for every chat RPC', async () => {
    const owner = await aUser();
    const otherTenant = await aUser();
    const sameTenantOtherUser = await aUser({ tenantId: owner.tenantId });
    const { chat } = await client.chats.createChat({ title: 'private' }, { headers: owner.headers });
    const chatId = chat!.id;
    for (const stranger of [otherTenant, sameTenantOtherUser]) {
      const calls = [
        () => client.chats.getChat({ chatId }, { headers: stranger.headers }),
        () => client.chats.deleteChat({ chatId }, { headers: stranger.headers }),
        () => client.chats.listMessages({ chatId }, { headers: stranger.headers }),
      ];
      for (const call of calls) expect(await failureOf(call())).toMatchObject({ code: Code.NotFound, reason: 'CHAT_NOT_FOUND' });
      expect((await client.chats.listChats({}, { headers: stranger.headers })).chats).toEqual([]);
    }
    expect((await client.chats.getChat({ chatId }, { headers: owner.headers })).chat?.title).toBe('private');
  });

  it('rejects a page token issued to another user', async () => {
    const owner = await aUser();
    const stranger = await aUser();
    for (let i = 0; i < 2; i++) await client.chats.createChat({}, { headers: owner.headers });
    const page = await client.chats.listChats({ pageSize: 1 }, { headers: owner.headers });
    const failure = await failureOf(client.chats.listChats({ pageToken: page.nextPageToken }, { headers: stranger.headers }));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, reason: 'INVALID_ARGUMENT', fields: ['page_token'] });
  });
});

describe('ChatService input validation', () => {
  const badRequests: Array<[string, (c: MiniChatClients, h: Record<string, string>) => Promise<unknown>, string]> = [
    ['GetChat with a malformed chat_id', (c, h) => c.chats.getChat({ chatId: 'not-a-uuid' }, { headers: h }), 'chat_id'],
    ['GetChat with an empty chat_id', (c, h) => c.chats.getChat({ chatId: '' }, { headers: h }), 'chat_id'],
    ['DeleteChat with a malformed chat_id', (c, h) => c.chats.deleteChat({ chatId: '1234' }, { headers: h }), 'chat_id'],
    ['ListMessages with a malformed chat_id', (c, h) => c.chats.listMessages({ chatId: 'x' }, { headers: h }), 'chat_id'],
    ['CreateChat with a 256-character title', (c, h) => c.chats.createChat({ title: 'x'.repeat(256) }, { headers: h }), 'title'],
    ['CreateChat with a model not in the catalog', (c, h) => c.chats.createChat({ model: 'gpt-17' }, { headers: h }), 'model'],
    ['ListChats with page_size -1', (c, h) => c.chats.listChats({ pageSize: -1 }, { headers: h }), 'page_size'],
    ['ListChats with page_size 101', (c, h) => c.chats.listChats({ pageSize: 101 }, { headers: h }), 'page_size'],
    ['ListChats with page_size 1000', (c, h) => c.chats.listChats({ pageSize: 1000 }, { headers: h }), 'page_size'],
    ['ListChats with a garbled page_token', (c, h) => c.chats.listChats({ pageToken: '%%%not-base64%%%' }, { headers: h }), 'page_token'],
    [
      'ListChats with a forged page_token',
      (c, h) => c.chats.listChats({ pageToken: Buffer.from(JSON.stringify({ t: new Date().toISOString(), i: randomUUID(), c: 'forged' })).toString('base64url') }, { headers: h }),
      'page_token',
    ],
    ['ListMessages with page_size 1000', (c, h) => c.chats.listMessages({ chatId: randomUUID(), pageSize: 1000 }, { headers: h }), 'page_size'],
    ['ListMessages with a garbled page_token', (c, h) => c.chats.listMessages({ chatId: randomUUID(), pageToken: 'abc' }, { headers: h }), 'page_token'],
  ];

  it.each(badRequests)('answers INVALID_ARGUMENT naming the field for %s, and writes nothing', async (_name, call, field) => {
    const user = await aUser();
    const before = { chats: await sql.count('chats'), outbox: await sql.count('outbox') };
    const failure = await failureOf(call(client, user.headers));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, reason: 'INVALID_ARGUMENT', domain: 'minichat' });
    expect(failure.fields).toEqual([field]);
    expect({ chats: await sql.count('chats'), outbox: await sql.count('outbox') }).toEqual(before);
  });

  it('validates the request before looking up the chat: a bad page size on a missing chat is INVALID_ARGUMENT, not NOT_FOUND', async () => {
    const user = await aUser();
    const failure = await failureOf(client.chats.listMessages({ chatId: randomUUID(), pageSize: -5 }, { headers: user.headers }));
    expect(failure.code).toBe(Code.InvalidArgument);
  });
});
