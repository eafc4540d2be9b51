import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation } from '../../../src/db/database-errors.ts';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import { messageConstraints, MessageSchema } from '../../../src/db/entities/message.entity.ts';
import {
  insertMessage,
  listHistoryNewestFirst,
  type NewMessage,
} from '../../../src/db/repositories/message.repository.ts';
import { runInTransaction } from '../../../src/db/transaction.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { aChatRow, aMessageRow } from '../../support/entity-rows.ts';

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

async function insertChat() {
  const chat = aChatRow();
  await freshEm().insert(ChatSchema, chat);
  return chat;
}

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

describe('insertMessage', () => {
  function aNewMessage(chat: { id: string; tenantId: string }, overrides: Partial<NewMessage> = {}): NewMessage {
    return {
      id: randomUUID(),
      tenantId: chat.tenantId,
      chatId: chat.id,
      requestId: randomUUID(),
      role: 'assistant',
      content: 'the saved part',
      model: 'echo',
      inputTokens: 4,
      outputTokens: 2,
      isPartial: true,
      createdAt: at(30),
      ...overrides,
    };
  }

  it('stores a live message, partial flag included', async () => {
    const chat = await insertChat();
    const message = aNewMessage(chat);

    await runInTransaction(database.orm.em, (tx) => insertMessage(tx, message));

    expect(await freshEm().findOne(MessageSchema, message.id)).toMatchObject({ partial: true, deletedAt: null, content: 'the saved part' });
  });

  it('fails with the one-live-message-per-role violation when the request already has one of that role', async () => {
    const chat = await insertChat();
    const first = aNewMessage(chat);
    await runInTransaction(database.orm.em, (tx) => insertMessage(tx, first));

    const error = await runInTransaction(database.orm.em, (tx) =>
      insertMessage(tx, aNewMessage(chat, { requestId: first.requestId })),
    ).catch((e: unknown) => e);

    expect(isUniqueViolation(error, messageConstraints.oneLivePerRole)).toBe(true);
  });
});

describe('listHistoryNewestFirst', () => {
  it('lists the live messages up to and including the boundary, newest first, leaving out later ones', async () => {
    const chat = await insertChat();
    const [oldest, deleted, boundary, later] = [
      aMessageRow(chat, { createdAt: at(1) }),
      aMessageRow(chat, { createdAt: at(2), deletedAt: at(3) }),
      aMessageRow(chat, { createdAt: at(4) }),
      aMessageRow(chat, { createdAt: at(5) }),
    ];
    await freshEm().insertMany(MessageSchema, [oldest, deleted, boundary, later]);

    const history = await listHistoryNewestFirst(freshEm(), {
      tenantId: chat.tenantId,
      chatId: chat.id,
      boundary: { createdAt: boundary.createdAt, id: boundary.id },
      limit: 10,
    });

    expect(history.map((message) => message.id)).toEqual([boundary.id, oldest.id]);
  });

  it('stops at the limit, keeping the newest messages', async () => {
    const chat = await insertChat();
    const rows = [1, 2, 3].map((second) => aMessageRow(chat, { createdAt: at(second) }));
    await freshEm().insertMany(MessageSchema, rows);
    const newest = rows[2] ?? expect.fail('no rows');

    const history = await listHistoryNewestFirst(freshEm(), {
      tenantId: chat.tenantId,
      chatId: chat.id,
      boundary: { createdAt: newest.createdAt, id: newest.id },
      limit: 2,
    });

    expect(history.map((message) => message.id)).toEqual([rows[2]?.id, rows[1]?.id]);
  });
});
