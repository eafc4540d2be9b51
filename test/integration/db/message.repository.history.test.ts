import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import { MessageSchema } from '../../../src/db/entities/message.entity.ts';
import { listHistoryNewestFirst } from '../../../src/db/repositories/message.repository.ts';
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
