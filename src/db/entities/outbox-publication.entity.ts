import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import { OUTBOX_PUBLICATIONS_TABLE, OUTBOX_PUBLICATIONS_TIME_INDEX, outboxPublicationColumns as column } from '../../outbox/outbox-schema.ts';
import { timestampColumn } from './timestamp-column.ts';

/**
 * When a chat's events up to a `chat_seq` were published (see `outbox-schema.ts`): written and
 * deleted by the relay only; retention reads it to delete events by publish time.
 */
export const OutboxPublicationSchema = defineEntity({
  name: 'OutboxPublication',
  tableName: OUTBOX_PUBLICATIONS_TABLE,
  properties: {
    chatId: p.uuid().primary().fieldName(column.chatId),
    upToSeq: p.integer().primary().fieldName(column.upToSeq),
    publishedAt: timestampColumn().fieldName(column.publishedAt),
  },
  indexes: [{ name: OUTBOX_PUBLICATIONS_TIME_INDEX, properties: ['publishedAt'] }],
});

export type OutboxPublication = InferEntity<typeof OutboxPublicationSchema>;
