import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation } from '../../../src/db/database-errors.ts';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import { messageConstraints, MessageSchema } from '../../../src/db/entities/message.entity.ts';
import { TurnSchema } from '../../../src/db/entities/turn.entity.ts';
import { type FinalAssistantMessage, finalizeTurnIfRunning, lockChatAndTurnIfRunning, type TurnFinalization } from '../../../src/db/repositories/turn.repository.ts';
import { runInTransaction } from '../../../src/db/transaction.ts';
import { createTestDatabase, sessionsWaitingForLock, type TestDatabase } from '../../support/database.ts';
import { aChatRow, aCompletedTurnRow, aMessageRow, aTurnRow } from '../../support/entity-rows.ts';
import { eventually } from '../../support/eventually.ts';
import { openTransaction } from '../../support/open-transaction.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

function freshEm(): EntityManager {
  return database.orm.em.fork();
}

async function aChatWithTurn(turnOverrides: Parameters<typeof aTurnRow>[1] = {}) {
  const chat = aChatRow();
  await freshEm().insert(ChatSchema, chat);
  const turn = aTurnRow(chat, turnOverrides);
  await freshEm().insert(TurnSchema, turn);
  return { chat, turn };
}

const cancelled: TurnFinalization = {
  state: 'cancelled',
  errorCode: null,
  errorDetail: null,
  finishReason: null,
  inputTokens: 4,
  outputTokens: 2,
};

function anAnswer(turn: { chatId: string; requestId: string }): FinalAssistantMessage {
  return { id: randomUUID(), chatId: turn.chatId, requestId: turn.requestId, content: 'the saved part', model: 'echo', isPartial: true };
}

describe('finalizeTurnIfRunning', () => {
  it('ends a running turn and stores its assistant message in the same statement', async () => {
    const { turn } = await aChatWithTurn();
    const answer = anAnswer(turn);

    const isWinner = await runInTransaction(database.orm.em, (tx) =>
      finalizeTurnIfRunning(tx, { tenantId: turn.tenantId, turnId: turn.id }, cancelled, answer),
    );

    expect(isWinner).toBe(true);
    expect(await freshEm().findOne(TurnSchema, turn.id)).toMatchObject({ state: 'cancelled', assistantMessageId: answer.id, inputTokens: 4, outputTokens: 2 });
    expect(await freshEm().findOne(MessageSchema, answer.id)).toMatchObject({ role: 'assistant', content: 'the saved part', partial: true, inputTokens: 4, outputTokens: 2, deletedAt: null });
  });

  it('writes nothing, message included, for a turn that is no longer running', async () => {
    const { turn } = await aChatWithTurn({ state: 'failed', errorCode: 'orphan_timeout', completedAt: new Date() });
    const answer = anAnswer(turn);

    const isWinner = await runInTransaction(database.orm.em, (tx) =>
      finalizeTurnIfRunning(tx, { tenantId: turn.tenantId, turnId: turn.id }, cancelled, answer),
    );

    expect(isWinner).toBe(false);
    expect(await freshEm().findOne(TurnSchema, turn.id)).toMatchObject({ state: 'failed', errorCode: 'orphan_timeout', assistantMessageId: null });
    expect(await freshEm().findOne(MessageSchema, answer.id)).toBeNull();
  });

  it('fails with the one-live-message-per-role violation when the request already has a live answer', async () => {
    const { chat, turn } = await aChatWithTurn();
    await freshEm().insert(MessageSchema, aMessageRow(chat, { requestId: turn.requestId, role: 'assistant' }));
    const answer = anAnswer(turn);

    const error = await runInTransaction(database.orm.em, (tx) =>
      finalizeTurnIfRunning(tx, { tenantId: turn.tenantId, turnId: turn.id }, cancelled, answer),
    ).catch((e: unknown) => e);

    expect(isUniqueViolation(error, messageConstraints.oneLivePerRole)).toBe(true);
    expect(await freshEm().findOne(TurnSchema, turn.id)).toMatchObject({ state: 'running' });
  });
});

describe('lockChatAndTurnIfRunning', () => {
  it('tells a running turn from a terminal one', async () => {
    const running = await aChatWithTurn();
    const chat = aChatRow();
    await freshEm().insert(ChatSchema, chat);
    const done = aCompletedTurnRow(chat);
    await freshEm().insert(TurnSchema, done);

    const answers = await runInTransaction(database.orm.em, async (tx) => [
      await lockChatAndTurnIfRunning(tx, { tenantId: running.turn.tenantId, chatId: running.chat.id, turnId: running.turn.id }),
      await lockChatAndTurnIfRunning(tx, { tenantId: done.tenantId, chatId: chat.id, turnId: done.id }),
    ]);

    expect(answers).toEqual([true, false]);
  });

  it('waits for the chat lock before taking the turn lock, and then reads the turn as the chat holder left it', async () => {
    const { chat, turn } = await aChatWithTurn();
    const holder = await openTransaction(database.orm);
    await holder.run((tx) => tx.execute(`select 1 from chats where id = ? for update`, [chat.id]));

    const waiter = runInTransaction(database.orm.em, (tx) => lockChatAndTurnIfRunning(tx, { tenantId: turn.tenantId, chatId: chat.id, turnId: turn.id }));
    await eventually(async () => expect(await sessionsWaitingForLock(database)).toBe(1), { timeoutMs: 5_000 });
    // The waiter holds no lock on the turn yet: the chat holder can still lock and end it.
    await holder.run((tx) => tx.execute(`update chat_turns set state = 'cancelled', completed_at = now() where id = ?`, [turn.id]));
    await holder.commit();

    expect(await waiter).toBe(false);
  });
});
