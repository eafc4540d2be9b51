import { openTurnSql } from '../../src/db/repositories/turn-opening.repository.ts';
import { OUTBOX_NOTIFY_CHANNEL } from '../../src/outbox/outbox-schema.ts';

/** `?` placeholders as `$1, $2, …` (the statements it is used on hold no other `?`). */
function numbered(sql: string): string {
  let index = 0;
  return sql.replaceAll('?', () => `$${(index += 1)}`);
}

/**
 * The statements the ORM path sends for Delete and Retry (captured from MikroORM 7.2.1 with a query
 * logger, see `orm-statements.ts` and docs/benchmarks.md), written by hand for `pg`: same tables,
 * same column lists (since the mutation path's repositories became raw SQL: only the columns the
 * use case reads, no `returning` on the turn insert), same filters, order, limits and locks. The
 * one deliberate difference: `$n` parameters (extended protocol), where MikroORM inlines
 * the values into the text and sends a simple query. Opening the new turn is the repository's own
 * statement (`openTurnSql`), numbered. The lock timeout is a connection setting on both sides.
 */
export const baselineSql = {
  lockChatForUpdate: `select id, tenant_id, model from chats where id = $1 and tenant_id = $2 and user_id = $3 and deleted_at is null limit 1 for update`,
  findTurnByRequestId: `select id, request_id, requester_user_id, state, web_search_enabled from chat_turns where tenant_id = $1 and chat_id = $2 and request_id = $3 limit 1`,
  lockLatestLiveTurn: `select id from chat_turns where tenant_id = $1 and chat_id = $2 and deleted_at is null
                        order by started_at desc, id desc limit 1 for update`,
  findLiveUserMessage: `select id, content from messages where tenant_id = $1 and chat_id = $2 and request_id = $3 and role = 'user' and deleted_at is null limit 1`,
  findAttachmentLinks: `select attachment_id from message_attachments where tenant_id = $1 and message_id = $2 order by created_at asc, attachment_id asc`,
  softDeleteTurn: `update chat_turns set deleted_at = $1, updated_at = $2, replaced_by_request_id = $3 where id = $4 and tenant_id = $5 and deleted_at is null`,
  softDeleteMessagesOfRequest: `update messages set deleted_at = $1 where tenant_id = $2 and chat_id = $3 and request_id = $4 and deleted_at is null`,
  openTurn: numbered(openTurnSql),
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
  delete: ['begin', 'lockChatForUpdate', 'findTurnByRequestId', 'lockLatestLiveTurn', 'softDeleteTurn', 'softDeleteMessagesOfRequest',
    'enqueueOutboxEvent', 'commit'],
  retry: ['begin', 'lockChatForUpdate', 'findTurnByRequestId', 'lockLatestLiveTurn', 'findLiveUserMessage', 'findAttachmentLinks',
    'softDeleteTurn', 'softDeleteMessagesOfRequest', 'openTurn', 'enqueueOutboxEvent', 'commit'],
} as const satisfies Record<string, readonly StatementName[]>;

/** The text of a statement of {@link baselineSequences}. */
export function baselineStatement(name: StatementName): string {
  return name === 'begin' || name === 'commit' ? name : baselineSql[name];
}
