import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import {
  OUTBOX_CHATS_LEASED_INDEX,
  OUTBOX_CHATS_READY_INDEX,
  OUTBOX_CHATS_TABLE,
  outboxChatColumns as column,
} from '../../outbox/outbox-schema.ts';
import { timestampColumn } from './timestamp-column.ts';

/**
 * The publishing state of one chat's audit events (see `outbox-schema.ts`): written by `enqueue`
 * and by the relay only. Names come from `outbox-schema.ts`, like the outbox row's. No foreign
 * key to `chats`, for the same reason as the outbox.
 */
export const OutboxChatSchema = defineEntity({
  name: 'OutboxChat',
  tableName: OUTBOX_CHATS_TABLE,
  properties: {
    chatId: p.uuid().primary().fieldName(column.chatId),
    lastSeq: p.integer().fieldName(column.lastSeq),
    publishedSeq: p.integer().default(0).fieldName(column.publishedSeq),
    readyAt: timestampColumn().fieldName(column.readyAt),
    lockedUntil: timestampColumn().nullable().fieldName(column.lockedUntil),
    lockedBy: p.text().nullable().fieldName(column.lockedBy),
  },
  indexes: [
    {
      // The claim (the longest-ready chats with work) and the backlog gauges.
      name: OUTBOX_CHATS_READY_INDEX,
      properties: ['readyAt'],
      where: `${column.publishedSeq} < ${column.lastSeq}`,
    },
    { name: OUTBOX_CHATS_LEASED_INDEX, properties: ['lockedUntil'], where: `${column.lockedUntil} is not null` },
  ],
});

export type OutboxChat = InferEntity<typeof OutboxChatSchema>;
