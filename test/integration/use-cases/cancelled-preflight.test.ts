import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelCatalog } from '../../../src/llm/model-catalog.ts';
import { finalizeTurn } from '../../../src/use-cases/finalize-turn.ts';
import { replaceTurn } from '../../../src/use-cases/replace-turn.ts';
import { startTurn } from '../../../src/use-cases/start-turn.ts';
import { aChatInDatabase } from '../../support/builders.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { eventually } from '../../support/eventually.ts';
import { sqlClient, type SqlClient } from '../../support/sql.ts';

let database: TestDatabase;
let sql: SqlClient;
const catalog = createModelCatalog([{ id: 'echo', providerModel: 'echo', contextWindowTokens: 1000, maxOutputTokens: 100, isDefault: true }]);
const deps = () => ({ orm: database.orm, catalog });

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
});

afterAll(async () => {
  await sql.close();
  await database.drop();
});

const aChat = () => aChatInDatabase(database.orm, { model: 'echo' });

function aGenerate(chat: Awaited<ReturnType<typeof aChat>>, requestId = randomUUID()) {
  return { ...chat, requestId, content: 'hello', attachmentIds: [], webSearch: false };
}

/**
 * Holds the chat's row lock from another connection, so that a preflight blocks on it until
 * `release()`; `waitUntilBlocked()` returns once some backend waits for a lock in this database.
 */
async function holdChatLock(chatId: string) {
  const locker = new pg.Client({ connectionString: database.databaseUrl });
  await locker.connect();
  await locker.query('begin');
  await locker.query('select 1 from chats where id = $1 for update', [chatId]);
  return {
    waitUntilBlocked: () =>
      eventually(
        async () => {
          const [row] = await sql.rows<{ waiting: number }>(
            `select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
          );
          expect(row?.waiting).toBeGreaterThan(0);
        },
        { timeoutMs: 5_000 },
      ),
    async release() {
      await locker.query('commit');
      await locker.end();
    },
  };
}

async function rowsOfChat(chatId: string) {
  const [row] = await sql.rows<{ turns: number; live_turns: number; messages: number; events: number }>(
    `select (select count(*)::int from chat_turns where chat_id = $1) as turns,
            (select count(*)::int from chat_turns where chat_id = $1 and deleted_at is null) as live_turns,
            (select count(*)::int from messages where chat_id = $1 and deleted_at is null) as messages,
            (select count(*)::int from outbox where chat_id = $1) as events`,
    [chatId],
  );
  return row;
}

describe('a call cancelled while its preflight waits for the chat lock', () => {
  it('Generate writes nothing, throws the cancel reason, and leaves the request id free to send again', async () => {
    const chat = await aChat();
    const command = aGenerate(chat);
    const lock = await holdChatLock(chat.chatId);
    const call = new AbortController();
    const starting = startTurn(deps(), command, call.signal).catch((error: unknown) => error);
    await lock.waitUntilBlocked();
    const reason = new Error('the client cancelled');
    call.abort(reason);
    await lock.release();

    expect(await starting).toBe(reason);
    expect(await rowsOfChat(chat.chatId)).toEqual({ turns: 0, live_turns: 0, messages: 0, events: 0 });
    const again = await startTurn(deps(), command, new AbortController().signal);
    expect(again.isStarted).toBe(true);
  });

  it('Retry leaves the latest turn live and intact, writes no new turn and enqueues no event', async () => {
    const chat = await aChat();
    const first = await startTurn(deps(), aGenerate(chat), new AbortController().signal);
    if (!first.isStarted) throw new Error('a fresh request id was refused');
    await finalizeTurn(database.orm, first.turn, { state: 'completed', text: 'answer', usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop' }, {});
    const before = await rowsOfChat(chat.chatId);
    const lock = await holdChatLock(chat.chatId);
    const call = new AbortController();
    const retrying = replaceTurn(deps(), { ...chat, requestId: first.turn.requestId, kind: 'retry' }, call.signal).catch((error: unknown) => error);
    await lock.waitUntilBlocked();
    const reason = new Error('the client cancelled');
    call.abort(reason);
    await lock.release();

    expect(await retrying).toBe(reason);
    expect(before).toEqual({ turns: 1, live_turns: 1, messages: 2, events: 1 });
    expect(await rowsOfChat(chat.chatId)).toEqual(before);
  });

  it('Generate does not start a transaction for a call already cancelled', async () => {
    const chat = await aChat();
    const call = new AbortController();
    const reason = new Error('gone before it began');
    call.abort(reason);

    await expect(startTurn(deps(), aGenerate(chat), call.signal)).rejects.toBe(reason);
    expect(await rowsOfChat(chat.chatId)).toEqual({ turns: 0, live_turns: 0, messages: 0, events: 0 });
  });
});
