import { CheckConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constraintNameOf, isUniqueViolation } from '../../../src/db/database-errors.ts';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import { turnConstraints, TurnSchema } from '../../../src/db/entities/turn.entity.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { aChatRow, aCompletedTurnRow, aTurnRow } from '../../support/entity-rows.ts';
import { rejectionOf } from '../../support/rejection.ts';

let database: TestDatabase;
let em: EntityManager;

beforeAll(async () => {
  database = await createTestDatabase();
  em = database.orm.em.fork();
});

afterAll(async () => {
  await database.drop();
});

async function insertChat() {
  const chat = aChatRow();
  await em.insert(ChatSchema, chat);
  return chat;
}

describe('chat_turns', () => {
  it('refuses a second running turn in a chat at the database, as a unique violation of the running-turn index', async () => {
    const chat = await insertChat();
    await em.insert(TurnSchema, aTurnRow(chat));

    const error = await rejectionOf(em.insert(TurnSchema, aTurnRow(chat)));

    expect(isUniqueViolation(error, turnConstraints.oneRunningPerChat)).toBe(true);
  });

  it('accepts a new running turn once the running one is deleted', async () => {
    const chat = await insertChat();
    await em.insert(TurnSchema, aCompletedTurnRow(chat, { deletedAt: new Date() }));
    await em.insert(TurnSchema, aTurnRow(chat, { deletedAt: new Date(), state: 'cancelled', completedAt: new Date() }));

    await expect(em.insert(TurnSchema, aTurnRow(chat))).resolves.toBeDefined();
  });

  it('allows running turns in two different chats at the same time', async () => {
    const [first, second] = [await insertChat(), await insertChat()];
    await em.insert(TurnSchema, aTurnRow(first));

    await expect(em.insert(TurnSchema, aTurnRow(second))).resolves.toBeDefined();
  });

  it('never reuses a request id in a chat, not even one of a deleted turn', async () => {
    const chat = await insertChat();
    const deleted = aCompletedTurnRow(chat, { deletedAt: new Date() });
    await em.insert(TurnSchema, deleted);

    const error = await rejectionOf(em.insert(TurnSchema, aTurnRow(chat, { requestId: deleted.requestId })));

    expect(isUniqueViolation(error, turnConstraints.requestIdPerChat)).toBe(true);
  });

  it('allows the same request id in two different chats', async () => {
    const [first, second] = [await insertChat(), await insertChat()];
    const turn = aCompletedTurnRow(first);
    await em.insert(TurnSchema, turn);

    await expect(em.insert(TurnSchema, aCompletedTurnRow(second, { requestId: turn.requestId }))).resolves.toBeDefined();
  });

  it('refuses a terminal turn without completed_at', async () => {
    const chat = await insertChat();

    const error = await rejectionOf(em.insert(TurnSchema, aTurnRow(chat, { state: 'completed', completedAt: null })));

    expect(error).toBeInstanceOf(CheckConstraintViolationException);
    expect(constraintNameOf(error)).toBe(turnConstraints.completedAtIffTerminal);
  });

  it('refuses a running turn with completed_at set', async () => {
    const chat = await insertChat();

    const error = await rejectionOf(em.insert(TurnSchema, aTurnRow(chat, { completedAt: new Date() })));

    expect(constraintNameOf(error)).toBe(turnConstraints.completedAtIffTerminal);
  });

  it('refuses a running turn without last_progress_at', async () => {
    const chat = await insertChat();

    const error = await rejectionOf(em.insert(TurnSchema, aTurnRow(chat, { lastProgressAt: null })));

    expect(error).toBeInstanceOf(CheckConstraintViolationException);
    expect(constraintNameOf(error)).toBe(turnConstraints.runningHasProgress);
  });

  it('refuses a state outside running, completed, failed and cancelled', async () => {
    const chat = await insertChat();
    const row = { ...aCompletedTurnRow(chat), state: 'paused' };

    const error = await rejectionOf(em.getConnection().execute(insertTurnSql(row), Object.values(row)));

    expect(constraintNameOf(error)).toBe('chat_turns_state_check');
  });

  it('refuses a requester type other than user or system', async () => {
    const chat = await insertChat();
    const row = { ...aCompletedTurnRow(chat), requesterType: 'robot' };

    const error = await rejectionOf(em.getConnection().execute(insertTurnSql(row), Object.values(row)));

    expect(constraintNameOf(error)).toBe('chat_turns_requester_type_check');
  });
});

// The entity's types forbid unknown enum values, so these rows go in through plain SQL.
function insertTurnSql(row: Record<string, unknown>): string {
  const columns = Object.keys(row).map((property) => property.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
  return `insert into chat_turns (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;
}
