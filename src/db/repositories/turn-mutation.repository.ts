import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Statements of Retry, Edit and Delete: the latest-turn lock and the soft deletes they make. Each is
 * one raw statement (STYLE.md 3.5) returning a small plain row: nothing is hydrated or enters the
 * identity map, so the commit has nothing to flush.
 */

/**
 * Locks the chat's latest live turn — greatest `(started_at, id)` among non-deleted turns — with
 * `SELECT … FOR UPDATE` and returns its id. Lock order: chat row first, then this turn.
 */
export async function lockLatestLiveTurn(em: EntityManager, scope: { tenantId: string; chatId: string }): Promise<{ id: string } | null> {
  const rows = await em.execute<Array<{ id: string }>>(
    `select id from chat_turns
      where tenant_id = ? and chat_id = ? and deleted_at is null
      order by started_at desc, id desc
      limit 1 for update`,
    [scope.tenantId, scope.chatId],
  );
  return rows[0] ?? null;
}

/** Soft-deletes a turn; `replacedByRequestId` names the Retry/Edit turn that replaces it (NULL for Delete). */
export async function softDeleteTurn(
  em: EntityManager,
  change: { tenantId: string; turnId: string; replacedByRequestId: string | null; now: Date },
): Promise<void> {
  await em.execute(
    `update chat_turns set deleted_at = ?, updated_at = ?, replaced_by_request_id = ? where id = ? and tenant_id = ? and deleted_at is null`,
    [change.now, change.now, change.replacedByRequestId, change.turnId, change.tenantId],
    'run',
  );
}

/** Soft-deletes the live messages (user and assistant) of one request in a chat. */
export async function softDeleteMessagesOfRequest(em: EntityManager, scope: { tenantId: string; chatId: string; requestId: string; now: Date }): Promise<void> {
  await em.execute(
    `update messages set deleted_at = ? where tenant_id = ? and chat_id = ? and request_id = ? and deleted_at is null`,
    [scope.now, scope.tenantId, scope.chatId, scope.requestId],
    'run',
  );
}

/** The live user message of a request (its id and content), which Retry resends and Edit replaces. */
export async function findLiveUserMessage(
  em: EntityManager,
  scope: { tenantId: string; chatId: string; requestId: string },
): Promise<{ id: string; content: string } | null> {
  const rows = await em.execute<Array<{ id: string; content: string }>>(
    `select id, content from messages
      where tenant_id = ? and chat_id = ? and request_id = ? and role = 'user' and deleted_at is null
      limit 1`,
    [scope.tenantId, scope.chatId, scope.requestId],
  );
  return rows[0] ?? null;
}

/** The attachment ids linked to a message whose attachments are still live, in link order. */
export async function findLiveLinkedAttachmentIds(em: EntityManager, scope: { tenantId: string; messageId: string }): Promise<string[]> {
  const linkedIds = await findLinkedAttachmentIds(em, scope);
  if (linkedIds.length === 0) return [];
  const liveIds = await findLiveAttachmentIdsAmong(em, { tenantId: scope.tenantId, ids: linkedIds });
  return linkedIds.filter((id) => liveIds.has(id));
}

/** The attachment ids linked to a message, deleted attachments included, in link order. */
async function findLinkedAttachmentIds(em: EntityManager, scope: { tenantId: string; messageId: string }): Promise<string[]> {
  const rows = await em.execute<Array<{ attachment_id: string }>>(
    `select attachment_id from message_attachments where tenant_id = ? and message_id = ? order by created_at asc, attachment_id asc`,
    [scope.tenantId, scope.messageId],
  );
  return rows.map((row) => row.attachment_id);
}

/** The ids among `ids` (non-empty) of the tenant's attachments that are not deleted. */
async function findLiveAttachmentIdsAmong(em: EntityManager, scope: { tenantId: string; ids: readonly string[] }): Promise<Set<string>> {
  const rows = await em.execute<Array<{ id: string }>>(
    `select id from attachments where id in (${scope.ids.map(() => '?').join(', ')}) and tenant_id = ? and deleted_at is null`,
    [...scope.ids, scope.tenantId],
  );
  return new Set(rows.map((row) => row.id));
}
