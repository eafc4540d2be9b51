import type { EntityManager } from '@mikro-orm/postgresql';
import type { MessageListCursor } from './message.repository.ts';

/** What opening a turn writes: its user message (with attachment links) and the running turn. */
export type TurnOpening = {
  readonly tenantId: string;
  readonly chatId: string;
  readonly requestId: string;
  readonly turnId: string;
  readonly userMessageId: string;
  readonly content: string;
  /** Linked in this order; each must be a live attachment of the chat uploaded by `requesterUserId`. */
  readonly attachmentIds: readonly string[];
  readonly requesterType: 'user' | 'system';
  readonly requesterUserId: string;
  readonly effectiveModel: string;
  readonly webSearchEnabled: boolean;
  readonly now: Date;
};

/** Why nothing was written; several may hold at once. */
export type TurnOpeningRefusal = {
  readonly isOpened: false;
  /** The chat already has a turn with this request id (live, deleted or replaced). */
  readonly isRequestIdUsed: boolean;
  /** The chat has a live running turn. */
  readonly isTurnRunning: boolean;
  /** The ids among `attachmentIds` that may be linked; the others are the violations. */
  readonly linkableAttachmentIds: ReadonlySet<string>;
};

export type TurnOpeningResult = { readonly isOpened: true; readonly boundary: MessageListCursor | null } | TurnOpeningRefusal;

/** The row `openTurnSql` answers. */
export type OpeningRow = {
  request_id_used: boolean;
  turn_running: boolean;
  linkable_ids: string | null;
  boundary_created_at: string | Date | null;
  boundary_id: string | null;
};

// One statement for what used to be six round trips (the checks, the boundary, the inserts and
// the chat's bump): a turn's preflight CPU is mostly per-statement work, on the service and in
// PostgreSQL. Every part reads the same snapshot, taken after the caller locked the chat row, so
// the checks see every turn committed before the lock was granted, and `boundary` is the newest
// message before this turn's own. The writes happen only when `allowed` has its row; the unique
// indexes still refuse a racing second running turn or request id (the caller maps them).
// Data-modifying CTEs run exactly once whether or not the final select reads them. Attachment ids
// travel as one comma-separated text (UUIDs hold no comma) so the statement reads the same with
// MikroORM's inlined values and with `$n` parameters (the mutation bench's pg baseline).
export const openTurnSql = `with checks as (
  select
    exists (select 1 from chat_turns where tenant_id = ? and chat_id = ? and request_id = ?) as request_id_used,
    exists (select 1 from chat_turns where tenant_id = ? and chat_id = ? and state = 'running' and deleted_at is null) as turn_running,
    array(select id from attachments
           where id = any (string_to_array(?, ',')::uuid[]) and tenant_id = ? and chat_id = ? and uploaded_by = ? and deleted_at is null) as linkable
), allowed as (
  select 1 from checks where not request_id_used and not turn_running and cardinality(linkable) = ?
), boundary as (
  select created_at, id from messages
   where chat_id = ? and tenant_id = ? and deleted_at is null
   order by created_at desc, id desc
   limit 1
), user_message as (
  insert into messages (id, tenant_id, chat_id, request_id, role, content, model, input_tokens, output_tokens, partial, created_at, deleted_at)
  select ?, ?, ?, ?, 'user', ?, null, null, null, false, ?, null from allowed
  returning id
), links as (
  -- Spaced by a millisecond so reading the links back in created_at order keeps the request's order.
  insert into message_attachments (message_id, attachment_id, chat_id, tenant_id, created_at)
  select user_message.id, requested.id, ?, ?, ?::timestamptz + (requested.position - 1) * interval '1 millisecond'
    from user_message, unnest(string_to_array(?, ',')::uuid[]) with ordinality as requested (id, position)
), turn as (
  insert into chat_turns (id, tenant_id, chat_id, request_id, requester_type, requester_user_id, state, effective_model,
                          web_search_enabled, started_at, last_progress_at, updated_at)
  select ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ? from user_message
  returning id
), bump as (
  -- Moves the chat to the top of its owner's list.
  update chats set updated_at = ? where id = ? and tenant_id = ? and exists (select 1 from turn)
)
select checks.request_id_used, checks.turn_running, array_to_string(checks.linkable, ',') as linkable_ids,
       boundary.created_at as boundary_created_at, boundary.id as boundary_id
  from checks left join boundary on true`;

/**
 * Opens a turn in one statement, inside the caller's transaction with the chat row locked: if the
 * request id is unused in the chat, no turn is running and every attachment may be linked, inserts
 * the user message and its attachment links, inserts the running turn (`started_at =
 * last_progress_at = now`) and bumps the chat; otherwise writes nothing and says why. On success
 * returns the snapshot boundary: the chat's newest live message before this turn's, null in an
 * empty chat.
 */
export async function openTurnUnlessRefused(tx: EntityManager, opening: TurnOpening): Promise<TurnOpeningResult> {
  const rows = await tx.execute<OpeningRow[]>(openTurnSql, openTurnParams(opening));
  return turnOpeningResultOf(rows[0], opening);
}

/** The values of `openTurnSql`'s placeholders, in order. */
export function openTurnParams(opening: TurnOpening): unknown[] {
  const { tenantId, chatId, now } = opening;
  const attachmentIds = opening.attachmentIds.join(',');
  return [
    ...[tenantId, chatId, opening.requestId],
    ...[tenantId, chatId],
    ...[attachmentIds, tenantId, chatId, opening.requesterUserId],
    opening.attachmentIds.length,
    ...[chatId, tenantId],
    ...[opening.userMessageId, tenantId, chatId, opening.requestId, opening.content, now],
    ...[chatId, tenantId, now, attachmentIds],
    ...[opening.turnId, tenantId, chatId, opening.requestId, opening.requesterType, opening.requesterUserId, opening.effectiveModel, opening.webSearchEnabled, now, now, now],
    ...[now, chatId, tenantId],
  ];
}

/** Reads `openTurnSql`'s one row: opened with its boundary, or the refusal. */
export function turnOpeningResultOf(row: OpeningRow | undefined, opening: Pick<TurnOpening, 'attachmentIds'>): TurnOpeningResult {
  if (!row) throw new Error('opening a turn returned no row');
  const linkableIds = new Set(row.linkable_ids ? row.linkable_ids.split(',') : []);
  if (row.request_id_used || row.turn_running || linkableIds.size !== opening.attachmentIds.length) {
    return { isOpened: false, isRequestIdUsed: row.request_id_used, isTurnRunning: row.turn_running, linkableAttachmentIds: linkableIds };
  }
  // The driver returns timestamptz as text (MikroORM's type parsers); `timestamptz(3)` fits a Date exactly.
  const boundary = row.boundary_id === null || row.boundary_created_at === null ? null : { createdAt: new Date(row.boundary_created_at), id: row.boundary_id };
  return { isOpened: true, boundary };
}
