/**
 * The outbox contract shared by the service and the relay: table and column names, the default
 * Kafka topic and the record header names. The relay imports only this module from `src/`, so it
 * must stay free of imports; the outbox entity and every SQL statement take their names from here.
 */

/** Name of the table audit events are written to, in the transaction of the change they describe. */
export const OUTBOX_TABLE = 'outbox';

/** Column names of {@link OUTBOX_TABLE}, keyed by the camelCase property names of the outbox entity. */
export const outboxColumns = {
  /** `bigint generated always as identity`: grows with insertion order. */
  id: 'id',
  /** UUID made by the service; the consumer's dedupe key, sent as the `event-id` header. */
  eventId: 'event_id',
  tenantId: 'tenant_id',
  /** The Kafka record key, so every event of one chat lands in one partition. */
  chatId: 'chat_id',
  /**
   * 1, 2, 3, … per chat, taken by `enqueue` from the chat's row in {@link OUTBOX_CHATS_TABLE},
   * whose row lock it holds until commit: within a chat, sequence order is commit order with no
   * gaps. The relay publishes a chat strictly in this order.
   */
  chatSeq: 'chat_seq',
  eventType: 'event_type',
  /** The event JSON, published as the record value unchanged. */
  payload: 'payload',
  /** 32 hex chars of the W3C trace of the request that caused the event, when there was one. */
  traceId: 'trace_id',
  /** The enqueueing transaction's start: the age of waiting events and commit-to-publish latency. */
  createdAt: 'created_at',
  /** Failed publish attempts of this event. */
  attempts: 'attempts',
  /** After a failed attempt: when the next one is due (exponential backoff with jitter). */
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  /**
   * Set when Kafka refused the event permanently `RELAY_MAX_ATTEMPTS` times. A dead letter is kept
   * and holds back the later events of its chat (never other chats) until replayed or discarded.
   */
  deadLetteredAt: 'dead_lettered_at',
  /** Set when an operator discarded a dead letter: handled without publishing; its chat moves on. */
  discardedAt: 'discarded_at',
} as const;

/**
 * Unique `(chat_id, chat_seq)`: a second event with the same place in its chat is refused, and the
 * relay reads a chat's next events (`chat_seq` after `published_seq`) through it. Outbox rows are
 * written once: publishing moves the chat's `published_seq`, it never updates the event's row.
 */
export const OUTBOX_CHAT_SEQ_UNIQUE = 'outbox_chat_id_chat_seq_unique';

/** `id` of dead letters (discarded ones included): small, for the CLI and the gauge. */
export const OUTBOX_DEAD_LETTERS_INDEX = 'outbox_dead_letters_idx';

/**
 * Channel of the `NOTIFY` that `enqueue` sends; PostgreSQL delivers it only when the transaction
 * commits, so a listening relay wakes exactly when there is something new to publish.
 */
export const OUTBOX_NOTIFY_CHANNEL = 'mini_chat_outbox';

/**
 * One row per chat that ever had an event: the chat's publishing state. `enqueue` upserts it (the
 * row lock orders the chat's transactions); the relay claims, leases, backs off and advances
 * chats here, so a claim costs a few index probes however large the backlog.
 */
export const OUTBOX_CHATS_TABLE = 'outbox_chats';

/** Column names of {@link OUTBOX_CHATS_TABLE}. */
export const outboxChatColumns = {
  chatId: 'chat_id',
  /** `chat_seq` of the chat's newest event. */
  lastSeq: 'last_seq',
  /**
   * Every event up to this `chat_seq` is published (acknowledged by Kafka) or discarded: the
   * chat's one record of progress. It has work while this is below `last_seq`; its next event
   * is `published_seq + 1`.
   */
  publishedSeq: 'published_seq',
  /**
   * When the chat may be claimed next: when its first waiting event came, after a claim the time
   * it was settled (so busy chats take turns), after a failure the end of the backoff, and
   * `infinity` while its next event is a dead letter.
   */
  readyAt: 'ready_at',
  /** While set, one relay instance holds the chat; an expired lease is reclaimed. */
  lockedUntil: 'locked_until',
  /** The relay instance holding the lease. */
  lockedBy: 'locked_by',
} as const;

/** Index of the chats with work, by `ready_at`: the claim and the backlog gauges read it. */
export const OUTBOX_CHATS_READY_INDEX = 'outbox_chats_ready_idx';

/** Index of the leased chats, for reclaiming expired leases. */
export const OUTBOX_CHATS_LEASED_INDEX = 'outbox_chats_leased_idx';

/** Topic used when `AUDIT_TOPIC` is not set. */
export const DEFAULT_AUDIT_TOPIC = 'mini-chat.audit';

/** Header names of every Kafka record the relay publishes. */
export const kafkaHeaders = {
  eventId: 'event-id',
  eventType: 'event-type',
  tenantId: 'tenant-id',
  contentType: 'content-type',
  /** Only present when the event carries a trace id. */
  traceparent: 'traceparent',
} as const;

/** Value of the `content-type` header: record values are the event JSON. */
export const EVENT_CONTENT_TYPE = 'application/json';

/**
 * One row per settled claim of a chat: its events up to `up_to_seq` were published (or
 * discarded) at `published_at`. Retention deletes events by it, judged by publish time; the
 * row goes with them.
 */
export const OUTBOX_PUBLICATIONS_TABLE = 'outbox_publications';

/** Column names of {@link OUTBOX_PUBLICATIONS_TABLE}. */
export const outboxPublicationColumns = {
  chatId: 'chat_id',
  upToSeq: 'up_to_seq',
  publishedAt: 'published_at',
} as const;

/** `published_at` of the publications, for retention. */
export const OUTBOX_PUBLICATIONS_TIME_INDEX = 'outbox_publications_published_at_idx';
