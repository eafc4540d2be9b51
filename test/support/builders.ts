import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { insertChat } from '../../src/db/repositories/chat.repository.ts';
import { runInTransaction } from '../../src/db/transaction.ts';
import type { Requester } from '../../src/use-cases/chat-commands.ts';
import type { SqlClient } from './sql.ts';

/**
 * Arranges a completed turn (user message + assistant answer) directly in the database, for read
 * tests that must not depend on TurnService. Times are spaced so the order is unambiguous.
 */
export async function aCompletedTurn(sql: SqlClient, options: { tenantId: string; userId: string; chatId: string; at: Date; content?: string }) {
  const requestId = randomUUID();
  const userMessageId = randomUUID();
  const assistantMessageId = randomUUID();
  const answerAt = new Date(options.at.getTime() + 1);
  await sql.rows(
    `insert into messages (id, tenant_id, chat_id, request_id, role, content, partial, created_at)
     values ($1, $2, $3, $4, 'user', $5, false, $6)`,
    [userMessageId, options.tenantId, options.chatId, requestId, options.content ?? 'hello', options.at],
  );
  await sql.rows(
    `insert into messages (id, tenant_id, chat_id, request_id, role, content, model, input_tokens, output_tokens, partial, created_at)
     values ($1, $2, $3, $4, 'assistant', $5, 'echo', 3, 5, false, $6)`,
    [assistantMessageId, options.tenantId, options.chatId, requestId, `echo: ${options.content ?? 'hello'}`, answerAt],
  );
  return { requestId, userMessageId, assistantMessageId };
}

/** Arranges an attachment row directly, for Generate tests that must not depend on AttachmentService. */
export async function anAttachment(
  sql: SqlClient,
  options: { tenantId: string; userId: string; chatId: string; filename?: string; contentType?: string; content?: string; isDeleted?: boolean },
) {
  const id = randomUUID();
  const content = Buffer.from(options.content ?? 'attached text', 'utf8');
  await sql.rows(
    `insert into attachments (id, tenant_id, chat_id, uploaded_by, filename, content_type, size_bytes, content, created_at, deleted_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9)`,
    [id, options.tenantId, options.chatId, options.userId, options.filename ?? 'notes.txt', options.contentType ?? 'text/plain', content.length, content, options.isDeleted ? new Date() : null],
  );
  return id;
}

/** A chat of a new user in a new tenant, inserted through the ORM, with the requester that owns it. */
export async function aChatInDatabase(orm: MikroORM, options: { model: string }): Promise<{ chatId: string; requester: Requester }> {
  const owner = { tenantId: randomUUID(), userId: randomUUID() };
  const chatId = randomUUID();
  await runInTransaction(orm.em, (tx) => insertChat(tx, { id: chatId, owner, title: '', model: options.model, now: new Date() }));
  return { chatId, requester: { owner, actor: { ...owner, requesterType: 'user' } } };
}
