/**
 * Valid rows with fresh ids, for `em.insert(Schema, row)` in database tests. Each test overrides
 * only what it is about, so the row it writes states the one thing under test.
 */
import { randomUUID } from 'node:crypto';
import type { Attachment } from '../../src/db/entities/attachment.entity.ts';
import type { Chat } from '../../src/db/entities/chat.entity.ts';
import type { Message } from '../../src/db/entities/message.entity.ts';
import type { Turn } from '../../src/db/entities/turn.entity.ts';

type Row<T> = Omit<T, symbol>;

export function aChatRow(overrides: Partial<Row<Chat>> = {}): Row<Chat> {
  const now = new Date();
  return {
    id: randomUUID(),
    tenantId: randomUUID(),
    userId: randomUUID(),
    title: 'a chat',
    model: 'echo',
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    ...overrides,
  };
}

/** A running turn of `chat`, started now. */
export function aTurnRow(chat: Row<Chat>, overrides: Partial<Row<Turn>> = {}): Row<Turn> {
  const now = new Date();
  return {
    id: randomUUID(),
    tenantId: chat.tenantId,
    chatId: chat.id,
    requestId: randomUUID(),
    requesterType: 'user',
    requesterUserId: chat.userId,
    state: 'running',
    errorCode: null,
    errorDetail: null,
    assistantMessageId: null,
    effectiveModel: chat.model,
    webSearchEnabled: false,
    inputTokens: null,
    outputTokens: null,
    finishReason: null,
    reservedTokens: 0,
    quotaSettled: false,
    startedAt: now,
    lastProgressAt: now,
    completedAt: null,
    updatedAt: now,
    deletedAt: null,
    replacedByRequestId: null,
    ...overrides,
  };
}

/** A completed turn of `chat`: terminal, so `completed_at` is set. */
export function aCompletedTurnRow(chat: Row<Chat>, overrides: Partial<Row<Turn>> = {}): Row<Turn> {
  return aTurnRow(chat, { state: 'completed', completedAt: new Date(), ...overrides });
}

/** A live user message of `chat`. */
export function aMessageRow(chat: Row<Chat>, overrides: Partial<Row<Message>> = {}): Row<Message> {
  return {
    id: randomUUID(),
    tenantId: chat.tenantId,
    chatId: chat.id,
    requestId: randomUUID(),
    role: 'user',
    content: 'hello',
    model: null,
    inputTokens: null,
    outputTokens: null,
    partial: false,
    createdAt: new Date(),
    deletedAt: null,
    ...overrides,
  };
}

/** A live attachment of `chat`, uploaded by its owner. */
export function anAttachmentRow(chat: Row<Chat>, overrides: Partial<Row<Attachment>> = {}): Row<Attachment> {
  const content = Buffer.from('attached text');
  return {
    id: randomUUID(),
    tenantId: chat.tenantId,
    chatId: chat.id,
    uploadedBy: chat.userId,
    filename: 'notes.txt',
    contentType: 'text/plain',
    sizeBytes: content.byteLength,
    content,
    createdAt: new Date(),
    deletedAt: null,
    ...overrides,
  };
}
