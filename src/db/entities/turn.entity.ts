import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import { ChatSchema } from './chat.entity.ts';
import { MessageSchema } from './message.entity.ts';
import { timestampColumn } from './timestamp-column.ts';

/** Values of `chat_turns.state`; `running` is the only non-terminal one. */
export const turnStates = ['running', 'completed', 'failed', 'cancelled'] as const;
export type TurnState = (typeof turnStates)[number];

/** Values of `chat_turns.requester_type`. */
export const requesterTypes = ['user', 'system'] as const;
export type RequesterType = (typeof requesterTypes)[number];

/** Database constraint names that the code translates into domain errors. */
export const turnConstraints = {
  /** At most one running live turn per chat: a violation is `GENERATION_IN_PROGRESS`. */
  oneRunningPerChat: 'chat_turns_one_running_per_chat',
  /** A request id is never reused in a chat, deleted turns included: `REQUEST_ID_CONFLICT`. */
  requestIdPerChat: 'chat_turns_chat_id_request_id_unique',
  completedAtIffTerminal: 'chat_turns_completed_at_iff_terminal',
  runningHasProgress: 'chat_turns_running_has_last_progress_at',
} as const;

/** The lifecycle record of one model invocation in a chat, identified there by `request_id`. */
export const TurnSchema = defineEntity({
  name: 'Turn',
  tableName: 'chat_turns',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    chatId: () => p.manyToOne(ChatSchema).mapToPk().fieldName('chat_id'),
    requestId: p.uuid(),
    requesterType: p.enum(requesterTypes),
    requesterUserId: p.uuid(),
    state: p.enum(turnStates),
    errorCode: p.text().nullable(),
    /** Provider or internal detail for operators; never exposed through the API. */
    errorDetail: p.text().nullable(),
    assistantMessageId: () => p.manyToOne(MessageSchema).mapToPk().fieldName('assistant_message_id').nullable(),
    effectiveModel: p.text(),
    webSearchEnabled: p.boolean().default(false),
    inputTokens: p.integer().nullable(),
    outputTokens: p.integer().nullable(),
    /** Why the model stopped (`stop`, `length`, `content_filter`) for a completed turn; replays report it. */
    finishReason: p.text().nullable(),
    /** Tokens held against the requester's quota while running; replaced by the usage when settled. */
    reservedTokens: p.bigint('number').defaultRaw('0'),
    quotaSettled: p.boolean().default(false),
    startedAt: timestampColumn(),
    /** Last time tokens arrived from the provider; the orphan watchdog judges running turns by it. */
    lastProgressAt: timestampColumn().nullable(),
    completedAt: timestampColumn().nullable(),
    updatedAt: timestampColumn(),
    deletedAt: timestampColumn().nullable(),
    /** Set when Retry or Edit replaced this turn; stays NULL for a plain Delete. */
    replacedByRequestId: p.uuid().nullable(),
  },
  uniques: [
    { name: turnConstraints.requestIdPerChat, properties: ['chatId', 'requestId'] },
    {
      name: turnConstraints.oneRunningPerChat,
      properties: ['chatId'],
      where: `state = 'running' and deleted_at is null`,
    },
  ],
  indexes: [
    {
      // The latest live turn of a chat: greatest (started_at, id) among its non-deleted turns.
      // SQL because MikroORM 7.2.1 introspection reads the sort order of `id` from `chat_id`.
      name: 'chat_turns_latest_live_idx',
      expression: `create index "chat_turns_latest_live_idx" on "chat_turns" ("chat_id", "started_at" desc, "id" desc) where deleted_at is null`,
    },
    {
      name: 'chat_turns_orphan_scan_idx',
      properties: ['lastProgressAt'],
      where: `state = 'running' and deleted_at is null`,
    },
  ],
  checks: [
    { name: turnConstraints.completedAtIffTerminal, expression: `(state = 'running') = (completed_at is null)` },
    { name: turnConstraints.runningHasProgress, expression: `state <> 'running' or last_progress_at is not null` },
  ],
});

export type Turn = InferEntity<typeof TurnSchema>;
