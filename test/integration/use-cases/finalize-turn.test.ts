import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelCatalog } from '../../../src/llm/model-catalog.ts';
import { failOrphanedTurns } from '../../../src/use-cases/fail-orphaned-turns.ts';
import { finalizeTurn } from '../../../src/use-cases/finalize-turn.ts';
import { startTurn } from '../../../src/use-cases/start-turn.ts';
import type { StartedTurn } from '../../../src/use-cases/started-turn.ts';
import { expectValidAuditEvent } from '../../support/audit-events.ts';
import { aChatInDatabase } from '../../support/builders.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { sqlClient, type SqlClient } from '../../support/sql.ts';

let database: TestDatabase;
let sql: SqlClient;
const catalog = createModelCatalog([{ id: 'echo', providerModel: 'echo', contextWindowTokens: 1000, maxOutputTokens: 100, isDefault: true }]);
const orphanTimeoutMs = 60_000;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
});

afterAll(async () => {
  await sql.close();
  await database.drop();
});

/** A running turn in a fresh chat, started through the real preflight unit of work. */
async function aRunningTurn(): Promise<StartedTurn> {
  const chat = await aChatInDatabase(database.orm, { model: 'echo' });
  const started = await startTurn({ orm: database.orm, catalog }, {
    ...chat,
    requestId: randomUUID(),
    content: 'hello',
    attachmentIds: [],
    webSearch: false,
  }, new AbortController().signal);
  if (!started.isStarted) throw new Error('a fresh request id was refused');
  return started.turn;
}

async function makeStale(turn: StartedTurn) {
  await sql.rows(`update chat_turns set last_progress_at = now() - interval '1 hour' where id = $1`, [turn.turnId]);
}

async function stateOf(turn: StartedTurn) {
  const [row] = await sql.rows<{ state: string; error_code: string | null }>('select state, error_code from chat_turns where id = $1', [turn.turnId]);
  return row;
}

async function eventsOf(turn: StartedTurn) {
  const rows = await sql.rows<{ event_type: string; payload: unknown }>('select event_type, payload from outbox where chat_id = $1', [turn.chatId]);
  for (const row of rows) expectValidAuditEvent(row.payload);
  return rows.map((row) => row.event_type);
}

const completed = { state: 'completed', text: 'late answer', usage: { inputTokens: 3, outputTokens: 2 }, finishReason: 'stop' } as const;

describe('finalization and the orphan watchdog', () => {
  it('records exactly one terminal state and one audit event when the watchdog races a late finalization', async () => {
    for (let round = 0; round < 15; round++) {
      const turn = await aRunningTurn();
      await makeStale(turn);
      const [orphansFailed, finalization] = await Promise.all([failOrphanedTurns(database.orm, { orphanTimeoutMs }), finalizeTurn(database.orm, turn, completed, {})]);
      const row = await stateOf(turn);
      const assistantMessages = await sql.rows(`select 1 from messages where chat_id = $1 and role = 'assistant'`, [turn.chatId]);
      if (finalization.isWinner) {
        expect(row).toEqual({ state: 'completed', error_code: null });
        expect(await eventsOf(turn)).toEqual(['turn_completed']);
        expect(assistantMessages).toHaveLength(1);
      } else {
        expect(orphansFailed).toBeGreaterThanOrEqual(1);
        expect(row).toEqual({ state: 'failed', error_code: 'orphan_timeout' });
        expect(await eventsOf(turn)).toEqual(['turn_failed']);
        expect(assistantMessages).toHaveLength(0);
      }
    }
  });

  it('tells a finalization that lost to the watchdog that the turn failed with orphan_timeout, and writes nothing', async () => {
    const turn = await aRunningTurn();
    await makeStale(turn);
    expect(await failOrphanedTurns(database.orm, { orphanTimeoutMs })).toBeGreaterThanOrEqual(1);
    const finalization = await finalizeTurn(database.orm, turn, completed, {});
    expect(finalization).toEqual({ isWinner: false, state: 'failed', errorCode: 'orphan_timeout' });
    expect(await eventsOf(turn)).toEqual(['turn_failed']);
    expect(await sql.rows(`select 1 from messages where chat_id = $1 and role = 'assistant'`, [turn.chatId])).toHaveLength(0);
  });

  it('leaves running turns with recent progress alone', async () => {
    const turn = await aRunningTurn();
    await failOrphanedTurns(database.orm, { orphanTimeoutMs });
    expect(await stateOf(turn)).toEqual({ state: 'running', error_code: null });
    expect(await eventsOf(turn)).toEqual([]);
  });

  it('fails a stale turn once when two watchdog scans (two service instances) run at the same time', async () => {
    const turn = await aRunningTurn();
    await makeStale(turn);
    await Promise.all([failOrphanedTurns(database.orm, { orphanTimeoutMs }), failOrphanedTurns(database.orm, { orphanTimeoutMs })]);
    expect(await stateOf(turn)).toEqual({ state: 'failed', error_code: 'orphan_timeout' });
    expect(await eventsOf(turn)).toEqual(['turn_failed']);
  });

  it('a second finalization of the same turn loses and writes nothing', async () => {
    const turn = await aRunningTurn();
    const first = await finalizeTurn(database.orm, turn, completed, {});
    const second = await finalizeTurn(database.orm, turn, { state: 'cancelled', text: 'x', usage: { inputTokens: 0, outputTokens: 0 } }, {});
    expect(first.isWinner).toBe(true);
    expect(second).toEqual({ isWinner: false, state: 'completed', errorCode: null });
    expect(await eventsOf(turn)).toEqual(['turn_completed']);
  });
});
