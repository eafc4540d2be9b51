import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import { AttachmentSchema } from './attachment.entity.ts';
import { ChatSchema } from './chat.entity.ts';
import { MessageSchema } from './message.entity.ts';
import { timestampColumn } from './timestamp-column.ts';

/** Links a message to an attachment of the same chat; Retry and Edit copy the links to the new message. */
export const MessageAttachmentSchema = defineEntity({
  name: 'MessageAttachment',
  tableName: 'message_attachments',
  properties: {
    messageId: () => p.manyToOne(MessageSchema).mapToPk().fieldName('message_id').primary(),
    attachmentId: () => p.manyToOne(AttachmentSchema).mapToPk().fieldName('attachment_id').primary(),
    chatId: () => p.manyToOne(ChatSchema).mapToPk().fieldName('chat_id'),
    tenantId: p.uuid(),
    createdAt: timestampColumn(),
  },
});

export type MessageAttachment = InferEntity<typeof MessageAttachmentSchema>;
