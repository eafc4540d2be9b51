import { OUTBOX_NOTIFY_CHANNEL } from '../../src/outbox/outbox-schema.ts';

/**
 * The statements the ORM path sends for Delete and Retry (captured from MikroORM 7.2.1 with a query
 * logger, see `orm-statements.ts` and docs/benchmarks.md), written by hand for `pg`: same tables,
 * same column lists (since the mutation path's repositories became raw SQL: only the columns the
 * use case reads, no `returning` on the turn insert), same filters, order, limits and locks. The
 * one deliberate difference: `$n` parameters (extended protocol), where MikroORM inlines
 * the values into the text and sends a simple query. The bench's chats have no attachments, so
 * neither path runs the attachment lookup and link insert that follow a non-empty link list.
 */
export const baselineSql = {
  setLockTimeout: `set local lock_timeout = '5s'`,
  lockChatForUpdate: `select id, tenant_id, model from chats where id = $1 and tenant_id = $2 and user_id = $3 and deleted_at is null limit 1 for update`,
  findTurnByRequestId: `select id, request_id, requester_user_id, state, web_search_enabled from chat_turns where tenant_id = $1 and chat_id = $2 and request_id = $3 limit 1`,
  lockLatestLiveTurn: `select id from chat_turns where tenant_id = $1 and chat_id = $2 and deleted_at is null
                        order by started_at desc, id desc limit 1 for update`,
  findLiveUserMessage: `select id, content from messages where tenant_id = $1 and chat_id = $2 and request_id = $3 and role = 'user' and deleted_at is null limit 1`,
  findAttachmentLinks: `select attachment_id from message_attachments where tenant_id = $1 and message_id = $2 order by created_at asc, attachment_id asc`,
  softDeleteTurn: `update chat_turns set deleted_at = $1, updated_at = $2, replaced_by_request_id = $3 where id = $4 and tenant_id = $5 and deleted_at is null`,
  softDeleteMessagesOfRequest: `update messages set deleted_at = $1 where tenant_id = $2 and chat_id = $3 and request_id = $4 and deleted_at is null`,
  findNewestLiveMessage: `select created_at, id from messages where chat_id = $1 and tenant_id = $2 and deleted_at is null order by created_at desc, id desc limit 1`,
  insertMessage: `insert into messages (id, tenant_id, chat_id, request_id, role, content, model, input_tokens, output_tokens, partial, created_at, deleted_at)
                  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
  insertRunningTurn: `insert into chat_turns (id, tenant_id, chat_id, request_id, requester_type, requester_user_id, state, effective_model,
                                              web_search_enabled, started_at, last_progress_at, updated_at)
                      values ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9, $10, $11)`,
  bumpChatUpdatedAt: `update chats set updated_at = $1 where id = $2 and tenant_id = $3`,
  enqueueOutboxEvent: `with numbered as (
                         insert into outbox_chats as c (chat_id, last_seq, published_seq, ready_at) values ($1::uuid, 1, 0, now())
                         on conflict (chat_id) do update set last_seq = c.last_seq + 1,
                           ready_at = case when c.published_seq = c.last_seq then now() else c.ready_at end
                         returning c.last_seq
                       ), notified as (select pg_notify($2, ''))
                       insert into outbox (event_id, event_type, tenant_id, chat_id, chat_seq, trace_id, payload)
                       select $3, $4, $5, $6::uuid, numbered.last_seq, $7, $8::jsonb from numbered, notified`,
} as const;

/** Parameters of `enqueueOutboxEvent` for an event's outbox row: the same channel as `enqueue`. */
export function enqueueParams(row: { chatId: string; eventId: string; eventType: string; tenantId: string; traceId?: string | undefined; payload: unknown }): unknown[] {
  return [row.chatId, OUTBOX_NOTIFY_CHANNEL, row.eventId, row.eventType, row.tenantId, row.chatId, row.traceId ?? null, JSON.stringify(row.payload)];
}

type StatementName = keyof typeof baselineSql | 'begin' | 'commit';

/** The order in which the baseline sends its statements, per mutation (all checks passing). */
export const baselineSequences = {
  delete: ['begin', 'setLockTimeout', 'lockChatForUpdate', 'findTurnByRequestId', 'lockLatestLiveTurn', 'softDeleteTurn', 'softDeleteMessagesOfRequest',
    'enqueueOutboxEvent', 'commit'],
  retry: ['begin', 'setLockTimeout', 'lockChatForUpdate', 'findTurnByRequestId', 'lockLatestLiveTurn', 'findLiveUserMessage', 'findAttachmentLinks',
    'softDeleteTurn', 'softDeleteMessagesOfRequest', 'findNewestLiveMessage', 'insertMessage', 'insertRunningTurn', 'bumpChatUpdatedAt',
    'enqueueOutboxEvent', 'commit'],
} as const satisfies Record<string, readonly StatementName[]>;

/** The text of a statement of {@link baselineSequences}. */
export function baselineStatement(name: StatementName): string {
  return name === 'begin' || name === 'commit' ? name : baselineSql[name];
}
