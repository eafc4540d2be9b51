import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachmentSchema } from '../../../src/db/entities/attachment.entity.ts';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import { MessageAttachmentSchema } from '../../../src/db/entities/message-attachment.entity.ts';
import { MessageSchema } from '../../../src/db/entities/message.entity.ts';
import { findMessageById, listLiveMessages } from '../../../src/db/repositories/message.repository.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { aChatRow, aMessageRow, anAttachmentRow } from '../../support/entity-rows.ts';

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

describe('listLiveMessages', () => {
  it('lists the live messages of the chat oldest first, ties on created_at broken by smaller id first', async () => {
    const chat = await insertChat();
    const [tieLow, tieHigh] = [randomUUID(), randomUUID()].sort();
    const rows = [
      aMessageRow(chat, { createdAt: at(3) }),
      aMessageRow(chat, { id: tieHigh, createdAt: at(2) }),
      aMessageRow(chat, { id: tieLow, createdAt: at(2) }),
      aMessageRow(chat, { createdAt: at(1) }),
      aMessageRow(chat, { createdAt: at(4), deletedAt: at(5) }),
    ];
    await freshEm().insertMany(MessageSchema, rows);
    const otherChat = await insertChat();
    await freshEm().insert(MessageSchema, aMessageRow(otherChat, { createdAt: at(2) }));

    const messages = await listLiveMessages(freshEm(), { chatId: chat.id, tenantId: chat.tenantId, limit: 10 });

    expect(messages.map((message) => message.id)).toEqual([rows[3]?.id, tieLow, tieHigh, rows[0]?.id]);
  });

  it('finds nothing when the tenant does not match the chat', async () => {
    const chat = await insertChat();
    await freshEm().insert(MessageSchema, aMessageRow(chat));

    expect(await listLiveMessages(freshEm(), { chatId: chat.id, tenantId: randomUUID(), limit: 10 })).toEqual([]);
  });

  it('continues strictly after the cursor, without repeats or gaps', async () => {
    const chat = await insertChat();
    await freshEm().insertMany(MessageSchema, [1, 2, 2, 2, 3].map((second) => aMessageRow(chat, { createdAt: at(second) })));
    const query = { chatId: chat.id, tenantId: chat.tenantId };
    const everything = await listLiveMessages(freshEm(), { ...query, limit: 10 });

    const first = await listLiveMessages(freshEm(), { ...query, limit: 3 });
    const last = first[2] ?? expect.fail('short first page');
    const second = await listLiveMessages(freshEm(), { ...query, limit: 3, after: { createdAt: last.createdAt, id: last.id } });

    expect([...first, ...second].map((message) => message.id)).toEqual(everything.map((message) => message.id));
    expect(second).toHaveLength(2);
  });

  it('returns every message field together with the ids of its live attachments in link order', async () => {
    const chat = await insertChat();
    const message = aMessageRow(chat, { role: 'assistant', content: 'an answer', model: 'echo', inputTokens: 3, outputTokens: 5, partial: true });
    const [first, second, deleted] = [anAttachmentRow(chat), anAttachmentRow(chat), anAttachmentRow(chat, { deletedAt: at(9) })];
    await freshEm().insert(MessageSchema, message);
    await freshEm().insertMany(AttachmentSchema, [first, second, deleted]);
    const link = (attachmentId: string, second: number) => ({
      messageId: message.id,
      attachmentId,
      chatId: chat.id,
      tenantId: chat.tenantId,
      createdAt: at(second),
    });
    await freshEm().insertMany(MessageAttachmentSchema, [link(second.id, 2), link(deleted.id, 1), link(first.id, 1)]);

    const [listed] = await listLiveMessages(freshEm(), { chatId: chat.id, tenantId: chat.tenantId, limit: 10 });

    expect(listed).toEqual({ ...message, attachmentIds: [first.id, second.id] });
  });

  it('gives a message without attachments an empty list of attachment ids', async () => {
    const chat = await insertChat();
    await freshEm().insert(MessageSchema, aMessageRow(chat));

    const [listed] = await listLiveMessages(freshEm(), { chatId: chat.id, tenantId: chat.tenantId, limit: 10 });

    expect(listed?.attachmentIds).toEqual([]);
  });
});

describe('findMessageById', () => {
  it('finds the message only within its tenant', async () => {
    const chat = await insertChat();
    const message = aMessageRow(chat);
    await freshEm().insert(MessageSchema, message);

    expect(await findMessageById(freshEm(), { tenantId: chat.tenantId, messageId: message.id })).toMatchObject({ id: message.id });
    expect(await findMessageById(freshEm(), { tenantId: randomUUID(), messageId: message.id })).toBeNull();
  });
});
