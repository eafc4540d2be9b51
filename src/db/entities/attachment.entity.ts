import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import { ChatSchema } from './chat.entity.ts';
import { timestampColumn } from './timestamp-column.ts';

/** A file uploaded into a chat. `content` is lazy: loading the metadata never reads the bytes. */
export const AttachmentSchema = defineEntity({
  name: 'Attachment',
  tableName: 'attachments',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    chatId: () => p.manyToOne(ChatSchema).mapToPk().fieldName('chat_id'),
    uploadedBy: p.uuid(),
    filename: p.text(),
    contentType: p.text(),
    sizeBytes: p.bigint('number').check('size_bytes >= 0'),
    content: p.blob().lazy(),
    createdAt: timestampColumn(),
    deletedAt: timestampColumn().nullable(),
  },
});

export type Attachment = InferEntity<typeof AttachmentSchema>;
