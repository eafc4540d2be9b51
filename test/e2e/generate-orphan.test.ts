import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf } from '../support/audit-events.ts';
import { clientsFor, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { answer, neverFinish } from '../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../support/openai-stub-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sqlClient, type SqlClient } from '../support/sql.ts';
import { aUser } from '../support/tokens.ts';
import { grammarProblems, readAll } from '../support/turn-events.ts';

let database: TestDatabase;
let stub: OpenAIStubServer;
let server: ServerProcess;
let sql: SqlClient;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
  stub = await startOpenAIStubServer();
  // The watchdog declares a turn orphaned after 1 s without tokens, well before the provider's
  // own idle timeout, so the stream's late finalization must lose to it.
  server = await startServerProcess({
    databaseUrl: database.databaseUrl,
    env: { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.baseUrl, ORPHAN_TIMEOUT: '1s', ORPHAN_SCAN_INTERVAL: '200ms', PROVIDER_IDLE_TIMEOUT: '3s' },
  });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  await server.stop();
  await stub.close();
  await sql.close();
  await database.drop();
});

describe('orphan watchdog', () => {
  it('fails a turn without progress as orphan_timeout, and its open stream ends with that failure, not its own', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({}, { headers: user.headers });
    const chatId = chat!.id;
    const requestId = randomUUID();
    stub.respondOnceWith(neverFinish(['stuck ']));
    const events = await readAll(client.turns.generate({ chatId, requestId, content: 'hang' }, { headers: user.headers }));
    expect(grammarProblems(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'failed', value: { code: 'orphan_timeout' } });
    const [turn] = await sql.rows('select state, error_code from chat_turns where request_id = $1', [requestId]);
    expect(turn).toEqual({ state: 'failed', error_code: 'orphan_timeout' });
    const audit = await auditEventsOf(sql, chatId);
    expect(audit.map((event) => [event.event_type, event.payload.error_code])).toEqual([['turn_failed', 'orphan_timeout']]);
  });

  it('keeps a turn whose tokens keep flowing alive three times past ORPHAN_TIMEOUT: streaming refreshes last_progress_at', async () => {
    const user = await aUser();
    const { chat } = await client.chats.createChat({}, { headers: user.headers });
    const requestId = randomUUID();
    // 3 s of tokens, one every 100 ms, against ORPHAN_TIMEOUT = 1 s and a scan every 200 ms.
    stub.respondOnceWith(answer(Array.from({ length: 30 }, (_, index) => ` t${index}`), { pieceDelayMs: 100 }));
    const events = await readAll(client.turns.generate({ chatId: chat!.id, requestId, content: 'a long answer' }, { headers: user.headers }));
    expect(grammarProblems(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'done' });
    const [turn] = await sql.rows<{ state: string; refreshed_after_ms: number }>(
      `select state, extract(epoch from last_progress_at - started_at) * 1000 as refreshed_after_ms from chat_turns where request_id = $1`,
      [requestId],
    );
    expect(turn?.state).toBe('completed');
    expect(Number(turn?.refreshed_after_ms)).toBeGreaterThan(1_000);
  });
});
