import { CheckConstraintViolationException, type EntityManager, ForeignKeyConstraintViolationException } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constraintNameOf, isUniqueViolation } from '../../../src/db/database-errors.ts';
import { AttachmentSchema } from '../../../src/db/entities/attachment.entity.ts';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import { MessageAttachmentSchema } from '../../../src/db/entities/message-attachment.entity.ts';
import { messageConstraints, MessageSchema } from '../../../src/db/entities/message.entity.ts';
import { TurnSchema } from '../../../src/db/entities/turn.entity.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { aChatRow, aCompletedTurnRow, aMessageRow, anAttachmentRow } from '../../support/entity-rows.ts';
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

describe('messages', () => {
  it('refuses a second live message of the same role for one request', async () => {
    const chat = await insertChat();
    const first = aMessageRow(chat, { role: 'assistant' });
    await em.insert(MessageSchema, first);

    const error = await rejectionOf(em.insert(MessageSchema, aMessageRow(chat, { role: 'assistant', requestId: first.requestId })));

    expect(isUniqueViolation(error, messageConstraints.oneLivePerRole)).toBe(true);
  });

  it('accepts a new message for a request once the old one of that role is deleted', async () => {
    const chat = await insertChat();
    const deleted = aMessageRow(chat, { deletedAt: new Date() });
    await em.insert(MessageSchema, deleted);

    await expect(em.insert(MessageSchema, aMessageRow(chat, { requestId: deleted.requestId }))).resolves.toBeDefined();
  });

  it('keeps one user and one assistant message live for the same request', async () => {
    const chat = await insertChat();
    const question = aMessageRow(chat, { role: 'user' });
    await em.insert(MessageSchema, question);

    await expect(
      em.insert(MessageSchema, aMessageRow(chat, { role: 'assistant', requestId: question.requestId })),
    ).resolves.toBeDefined();
  });

  it('refuses a role other than user or assistant', async () => {
    const chat = await insertChat();
    const row = { ...aMessageRow(chat), role: 'system' };

    const error = await rejectionOf(
      em.getConnection().execute(
        'insert into messages (id, tenant_id, chat_id, request_id, role, content, created_at) values (?, ?, ?, ?, ?, ?, ?)',
        [row.id, row.tenantId, row.chatId, row.requestId, row.role, row.content, row.createdAt],
      ),
    );

    expect(constraintNameOf(error)).toBe('messages_role_check');
  });

  it('refuses a message of a chat that does not exist', async () => {
    const error = await rejectionOf(em.insert(MessageSchema, aMessageRow(aChatRow())));

    expect(error).toBeInstanceOf(ForeignKeyConstraintViolationException);
    expect(constraintNameOf(error)).toBe('messages_chat_id_foreign');
  });
});

describe('chat_turns foreign keys', () => {
  it('refuses a turn of a chat that does not exist', async () => {
    const error = await rejectionOf(em.insert(TurnSchema, aCompletedTurnRow(aChatRow())));

    expect(constraintNameOf(error)).toBe('chat_turns_chat_id_foreign');
  });

  it('refuses a turn whose assistant message does not exist', async () => {
    const chat = await insertChat();

    const error = await rejectionOf(em.insert(TurnSchema, aCompletedTurnRow(chat, { assistantMessageId: randomUUID() })));

    expect(constraintNameOf(error)).toBe('chat_turns_assistant_message_id_foreign');
  });
});

describe('attachments', () => {
  it('refuses a negative size', async () => {
    const chat = await insertChat();

    const error = await rejectionOf(em.insert(AttachmentSchema, anAttachmentRow(chat, { sizeBytes: -1 })));

    expect(error).toBeInstanceOf(CheckConstraintViolationException);
    expect(constraintNameOf(error)).toBe('attachments_size_bytes_check');
  });

  it('refuses an attachment of a chat that does not exist', async () => {
    const error = await rejectionOf(em.insert(AttachmentSchema, anAttachmentRow(aChatRow())));

    expect(constraintNameOf(error)).toBe('attachments_chat_id_foreign');
  });
});

describe('message_attachments', () => {
  async function insertMessageAndAttachment() {
    const chat = await insertChat();
    const message = aMessageRow(chat);
    const attachment = anAttachmentRow(chat);
    await em.insert(MessageSchema, message);
    await em.insert(AttachmentSchema, attachment);
    return { chat, message, attachment };
  }

  function link(chat: { id: string; tenantId: string }, messageId: string, attachmentId: string) {
    return { messageId, attachmentId, chatId: chat.id, tenantId: chat.tenantId, createdAt: new Date() };
  }

  it('refuses linking the same attachment to a message twice', async () => {
    const { chat, message, attachment } = await insertMessageAndAttachment();
    await em.insert(MessageAttachmentSchema, link(chat, message.id, attachment.id));

    const error = await rejectionOf(em.insert(MessageAttachmentSchema, link(chat, message.id, attachment.id)));

    expect(isUniqueViolation(error, 'message_attachments_pkey')).toBe(true);
  });

  it('refuses a link to a message that does not exist', async () => {
    const { chat, attachment } = await insertMessageAndAttachment();

    const error = await rejectionOf(em.insert(MessageAttachmentSchema, link(chat, randomUUID(), attachment.id)));

    expect(constraintNameOf(error)).toBe('message_attachments_message_id_foreign');
  });

  it('refuses a link to an attachment that does not exist', async () => {
    const { chat, message } = await insertMessageAndAttachment();

    const error = await rejectionOf(em.insert(MessageAttachmentSchema, link(chat, message.id, randomUUID())));

    expect(constraintNameOf(error)).toBe('message_attachments_attachment_id_foreign');
  });
});
