import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import { ChatSchema } from './chat.entity.ts';
import { timestampColumn } from './timestamp-column.ts';

/** Values of `messages.role`, enforced by a CHECK constraint. */
export const messageRoles = ['user', 'assistant'] as const;
export type MessageRole = (typeof messageRoles)[number];

/** Database constraint names that the code translates into domain errors. */
export const messageConstraints = {
  /** A turn (`request_id`) has at most one live user and one live assistant message. */
  oneLivePerRole: 'messages_one_live_per_role',
} as const;

/** Content of a chat. A chat's order is `(created_at, id)`; deleted rows are kept for audit. */
export const MessageSchema = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    chatId: () => p.manyToOne(ChatSchema).mapToPk().fieldName('chat_id'),
    requestId: p.uuid(),
    role: p.enum(messageRoles),
    content: p.text(),
    /** The model that wrote an assistant message; NULL for user messages. */
    model: p.text().nullable(),
    inputTokens: p.integer().nullable(),
    outputTokens: p.integer().nullable(),
    /** True for the saved part of a cancelled answer. */
    partial: p.boolean().default(false),
    createdAt: timestampColumn(),
    deletedAt: timestampColumn().nullable(),
  },
  uniques: [
    {
      name: messageConstraints.oneLivePerRole,
      properties: ['chatId', 'requestId', 'role'],
      where: 'deleted_at is null',
    },
  ],
  indexes: [
    {
      name: 'messages_live_order_idx',
      properties: ['chatId', 'createdAt', 'id'],
      where: 'deleted_at is null',
    },
  ],
});

export type Message = InferEntity<typeof MessageSchema>;
