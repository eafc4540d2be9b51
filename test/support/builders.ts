import { randomUUID } from 'node:crypto';
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
