/**
 * The outbox contract shared by the service and the relay: table and column names, the default
 * Kafka topic and the record header names. The relay imports only this module from `src/`, so it
 * must stay free of imports; the outbox entity and every SQL statement take their names from here.
 */

/** Name of the table audit events are written to, in the transaction of the change they describe. */
export const OUTBOX_TABLE = 'outbox';

/** Column names of {@link OUTBOX_TABLE}, keyed by the camelCase property names of the outbox entity. */
export const outboxColumns = {
  /** `bigint generated always as identity`: the relay's scan cursor; grows with insertion order. */
  id: 'id',
  /** UUID made by the service; the consumer's dedupe key, sent as the `event-id` header. */
  eventId: 'event_id',
  tenantId: 'tenant_id',
  /** The Kafka record key, so every event of one chat lands in one partition. */
  chatId: 'chat_id',
  /**
   * 1, 2, 3, … per chat, assigned by `enqueue` under a per-chat transaction lock: within a chat,
   * sequence order is commit order with no gaps. The relay publishes a chat strictly in this order.
   */
  chatSeq: 'chat_seq',
  eventType: 'event_type',
  /** The event JSON, published as the record value unchanged. */
  payload: 'payload',
  /** 32 hex chars of the W3C trace of the request that caused the event, when there was one. */
  traceId: 'trace_id',
  createdAt: 'created_at',
  /** Set once Kafka acknowledged the record; retention deletes by this time, never by `created_at`. */
  publishedAt: 'published_at',
  attempts: 'attempts',
  /** Earliest time of the next publish attempt (exponential backoff with jitter after failures). */
  nextAttemptAt: 'next_attempt_at',
  /** While set, one relay instance holds the row's chat; an expired lease is reclaimed. */
  lockedUntil: 'locked_until',
  /** The relay instance holding the lease, for logs and for settling only its own claims. */
  lockedBy: 'locked_by',
  lastError: 'last_error',
  /**
   * Set when Kafka refused the event permanently `RELAY_MAX_ATTEMPTS` times. A dead letter is kept
   * and holds back the later events of its chat (never other chats) until replayed or discarded.
   */
  deadLetteredAt: 'dead_lettered_at',
  /** Set when an operator discarded a dead letter: handled without publishing; its chat moves on. */
  discardedAt: 'discarded_at',
} as const;

/** Index over the rows still waiting to be published (neither published nor dead-lettered). */
export const OUTBOX_PENDING_INDEX = 'outbox_pending_idx';

/** Unique `(chat_id, chat_seq)`: a second event with the same place in its chat is refused. */
export const OUTBOX_CHAT_SEQ_UNIQUE = 'outbox_chat_id_chat_seq_unique';

/** `(chat_id, chat_seq)` of the rows that still hold their chat back (not published, not discarded). */
export const OUTBOX_UNFINISHED_INDEX = 'outbox_unfinished_idx';

/** `published_at` of published rows, for retention. */
export const OUTBOX_PUBLISHED_INDEX = 'outbox_published_idx';

/** `id` of dead letters (discarded ones included): small, for the CLI, the gauge and retention. */
export const OUTBOX_DEAD_LETTERS_INDEX = 'outbox_dead_letters_idx';

/**
 * Channel of the `NOTIFY` that `enqueue` sends; PostgreSQL delivers it only when the transaction
 * commits, so a listening relay wakes exactly when there is something new to publish.
 */
export const OUTBOX_NOTIFY_CHANNEL = 'mini_chat_outbox';

/**
 * First key of the per-chat transaction advisory lock `pg_advisory_xact_lock(key, hashtext(chat_id))`
 * that `enqueue` takes before assigning `chat_seq`. The two-key form never collides with
 * single-`bigint` advisory locks taken elsewhere.
 */
export const OUTBOX_CHAT_LOCK_KEY = 0x6f757462; // 'outb'

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
