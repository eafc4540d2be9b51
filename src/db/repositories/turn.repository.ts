import type { EntityManager } from '@mikro-orm/postgresql';
import { type Turn, TurnSchema, type TurnState } from '../entities/turn.entity.ts';

/** Every statement here takes the tenant as well as the ids: no query is scoped by id alone. */

/** The turn with this request id in the chat, deleted or replaced ones included. */
export async function findTurnByRequestId(em: EntityManager, scope: { tenantId: string; chatId: string; requestId: string }): Promise<Turn | null> {
  return em.findOne(TurnSchema, { tenantId: scope.tenantId, chatId: scope.chatId, requestId: scope.requestId });
}

/** What the mutation path needs of a turn found by request id: no hydration, no identity map. */
export type TurnSummary = {
  readonly id: string;
  readonly requestId: string;
  readonly requesterUserId: string;
  readonly state: TurnState;
  readonly webSearchEnabled: boolean;
};

/**
 * The turn with this request id in the chat, deleted or replaced ones included, as a
 * {@link TurnSummary} (one raw statement). For the mutation path; readers use `findTurnByRequestId`.
 */
export async function findTurnSummaryByRequestId(
  em: EntityManager,
  scope: { tenantId: string; chatId: string; requestId: string },
): Promise<TurnSummary | null> {
  const rows = await em.execute<TurnSummary[]>(
    `select id, request_id as "requestId", requester_user_id as "requesterUserId", state, web_search_enabled as "webSearchEnabled"
       from chat_turns
      where tenant_id = ? and chat_id = ? and request_id = ?
      limit 1`,
    [scope.tenantId, scope.chatId, scope.requestId],
  );
  return rows[0] ?? null;
}

export type TurnFinalization = {
  state: Exclude<TurnState, 'running'>;
  errorCode: string | null;
  errorDetail: string | null;
  finishReason: string | null;
  inputTokens: number;
  outputTokens: number;
};

/** The assistant message a finalization stores with the turn's end (see `finalizeTurnIfRunning`). */
export type FinalAssistantMessage = {
  readonly id: string;
  readonly chatId: string;
  readonly requestId: string;
  readonly content: string;
  readonly model: string;
  readonly isPartial: boolean;
};

const endColumns = `set state = ?, error_code = ?, error_detail = ?, finish_reason = ?, assistant_message_id = ?,
            input_tokens = ?, output_tokens = ?, completed_at = ?, updated_at = ?
      where id = ? and tenant_id = ? and state = 'running'
      returning id`;

// The message is inserted only if the CAS matched (`from ended`); its row and the turn's
// `assistant_message_id` pointing at it are checked against each other at the end of the statement.
const endWithMessageSql = `with ended as (
  update chat_turns ${endColumns}
), message as (
  insert into messages (id, tenant_id, chat_id, request_id, role, content, model, input_tokens, output_tokens, partial, created_at, deleted_at)
  select ?, ?, ?, ?, 'assistant', ?, ?, ?, ?, ?, ?, null from ended
)
select id from ended`;

/**
 * The compare-and-set out of `running` (turns.md "Turn state machine"): updates the turn only if it
 * is still running and returns whether this caller won; the winner's assistant message (a
 * completed answer, or the partial text of a cancelled one) is inserted in the same statement,
 * the loser writes nothing. A second live assistant message for the request fails with a unique
 * violation of `messageConstraints.oneLivePerRole`. The finalization path's statements are raw,
 * like the mutation path's: entity hydration cost several times the statement's own CPU
 * (docs/benchmarks.md).
 */
export async function finalizeTurnIfRunning(
  em: EntityManager,
  scope: { tenantId: string; turnId: string },
  end: TurnFinalization,
  message: FinalAssistantMessage | null = null,
): Promise<boolean> {
  const now = new Date();
  // `assistant_message_id` is the stored message's, or null when there is none.
  const endParams = [end.state, end.errorCode, end.errorDetail, end.finishReason, message?.id ?? null, end.inputTokens, end.outputTokens, now, now, scope.turnId, scope.tenantId];
  const rows = message
    ? await em.execute<unknown[]>(endWithMessageSql, [
        ...endParams,
        message.id, scope.tenantId, message.chatId, message.requestId, message.content, message.model, end.inputTokens, end.outputTokens, message.isPartial, now,
      ])
    : await em.execute<unknown[]>(`update chat_turns ${endColumns}`, endParams);
  return rows.length === 1;
}

/**
 * Records that tokens arrived (the orphan watchdog judges running turns by `last_progress_at`).
 * Returns false when the turn is no longer running, e.g. the watchdog already failed it.
 */
export async function touchTurnProgress(em: EntityManager, scope: { tenantId: string; turnId: string }): Promise<boolean> {
  // The database clock, because the watchdog compares against it.
  const rows = await em.execute<unknown[]>(`update chat_turns set last_progress_at = now() where id = ? and tenant_id = ? and state = 'running' returning id`, [
    scope.turnId,
    scope.tenantId,
  ]);
  return rows.length === 1;
}

/**
 * Locks up to `limit` running turns whose last progress is older than `olderThanMs` by the
 * database clock, skipping rows another instance's scan (or a finalization) holds: several service
 * instances can scan at once without waiting on or double-processing each other.
 */
export async function lockOrphanedTurns(em: EntityManager, scan: { olderThanMs: number; limit: number }): Promise<Turn[]> {
  const rows = await em.execute<Array<{ id: string }>>(
    `select id from chat_turns
      where state = 'running' and deleted_at is null
        and last_progress_at < now() - make_interval(secs => ?)
      order by last_progress_at
      limit ?
      for update skip locked`,
    [scan.olderThanMs / 1000, scan.limit],
  );
  if (rows.length === 0) return [];
  return em.find(TurnSchema, { id: { $in: rows.map((row) => row.id) } });
}

// The chat row first, then the turn row: the one lock order of every transaction. The turn is
// locked only when the join emits its row, which needs the chat's CTE row, so the order holds
// whatever plan is chosen. A turn changed while we waited is re-read at its latest version.
const lockChatAndTurnSql = `with chat as (select 1 from chats where id = ? and tenant_id = ? for update)
select t.state from chat_turns t, chat where t.id = ? and t.tenant_id = ? for update of t`;

/**
 * Locks the turn's chat row and then the turn row (`SELECT … FOR UPDATE`, one statement) and tells
 * whether the turn is still running. Finalization takes these locks first, so it writes only when
 * it is going to win the CAS, and a Retry of the same chat (which locks the chat first too) cannot
 * deadlock with it; the watchdog's `SKIP LOCKED` scan passes over a turn being finalized.
 */
export async function lockChatAndTurnIfRunning(em: EntityManager, scope: { tenantId: string; chatId: string; turnId: string }): Promise<boolean> {
  const rows = await em.execute<Array<{ state: TurnState }>>(lockChatAndTurnSql, [scope.chatId, scope.tenantId, scope.turnId, scope.tenantId]);
  return rows[0]?.state === 'running';
}
