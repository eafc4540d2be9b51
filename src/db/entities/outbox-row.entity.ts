import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import {
  OUTBOX_CHAT_SEQ_UNIQUE,
  OUTBOX_DEAD_LETTERS_INDEX,
  OUTBOX_TABLE,
  outboxColumns as column,
} from '../../outbox/outbox-schema.ts';
import { timestampColumn } from './timestamp-column.ts';

/**
 * One audit event waiting for (or done with) the relay: written once by `enqueue`, touched again
 * only when publishing it fails (attempts, dead letter). Table and column names come from
 * `outbox-schema.ts`, the module the relay shares, so the two can never disagree.
 * No foreign key to `chats`: the outbox must accept any committed event and outlive what it describes.
 */
export const OutboxRowSchema = defineEntity({
  name: 'OutboxRow',
  tableName: OUTBOX_TABLE,
  properties: {
    id: p.bigint('string').primary().autoincrement().generated('identity').columnType('bigint').fieldName(column.id),
    eventId: p.uuid().unique().fieldName(column.eventId),
    tenantId: p.uuid().fieldName(column.tenantId),
    chatId: p.uuid().fieldName(column.chatId),
    chatSeq: p.integer().fieldName(column.chatSeq),
    eventType: p.text().fieldName(column.eventType),
    payload: p.json<Record<string, unknown>>().fieldName(column.payload),
    traceId: p.text().nullable().fieldName(column.traceId),
    // The database clock, not the caller's: every row of one transaction gets its start time.
    createdAt: timestampColumn().defaultRaw('now()').fieldName(column.createdAt),
    attempts: p.integer().default(0).fieldName(column.attempts),
    nextAttemptAt: timestampColumn().defaultRaw('now()').fieldName(column.nextAttemptAt),
    lastError: p.text().nullable().fieldName(column.lastError),
    deadLetteredAt: timestampColumn().nullable().fieldName(column.deadLetteredAt),
    discardedAt: timestampColumn().nullable().fieldName(column.discardedAt),
  },
  uniques: [{ name: OUTBOX_CHAT_SEQ_UNIQUE, properties: ['chatId', 'chatSeq'] }],
  indexes: [{ name: OUTBOX_DEAD_LETTERS_INDEX, properties: ['id'], where: `${column.deadLetteredAt} is not null` }],
});

export type OutboxRow = InferEntity<typeof OutboxRowSchema>;
