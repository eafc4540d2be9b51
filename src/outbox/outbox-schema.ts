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
  /** While in the future, one relay instance holds the row; an expired lease may be reclaimed. */
  lockedUntil: 'locked_until',
  lastError: 'last_error',
  /** Set when the event exhausted its attempts; dead letters block nothing and are kept until handled. */
  deadLetteredAt: 'dead_lettered_at',
} as const;

/** Index over the rows still waiting to be published (neither published nor dead-lettered). */
export const OUTBOX_PENDING_INDEX = 'outbox_pending_idx';

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
