import type { EntityManager } from '@mikro-orm/postgresql';
import { type Attachment, AttachmentSchema } from '../entities/attachment.entity.ts';

/** Every query is scoped by tenant, chat and uploader: another user's attachment does not exist. */
export type AttachmentScope = { readonly tenantId: string; readonly chatId: string; readonly uploadedBy: string };

/**
 * The live text attachments of a message with their content, for the model's context, in the order
 * they were linked. One raw statement: it runs for every turn, with or without attachments.
 */
export async function findTextAttachmentsOfMessage(
  em: EntityManager,
  scope: { tenantId: string; messageId: string },
): Promise<Array<{ filename: string; content: Buffer }>> {
  return em.execute<Array<{ filename: string; content: Buffer }>>(
    `select a.filename, a.content
       from message_attachments l
       join attachments a on a.id = l.attachment_id and a.tenant_id = l.tenant_id
      where l.tenant_id = ? and l.message_id = ? and a.deleted_at is null and a.content_type like 'text/%'
      order by l.created_at, l.attachment_id`,
    [scope.tenantId, scope.messageId],
  );
}

export async function insertAttachment(em: EntityManager, attachment: Omit<Attachment, 'deletedAt'>): Promise<void> {
  await em.insert(AttachmentSchema, { ...attachment, deletedAt: null });
}

/** Metadata of a live attachment the caller uploaded to this chat (content not loaded). */
export async function findAttachmentForOwner(em: EntityManager, scope: AttachmentScope, attachmentId: string): Promise<Attachment | null> {
  return em.findOne(AttachmentSchema, { id: attachmentId, tenantId: scope.tenantId, chatId: scope.chatId, uploadedBy: scope.uploadedBy, deletedAt: null });
}

/** Soft-deletes the caller's attachment; returns whether a live one was deleted. */
export async function softDeleteAttachment(em: EntityManager, scope: AttachmentScope, attachmentId: string, now: Date): Promise<boolean> {
  const updated = await em.nativeUpdate(
    AttachmentSchema,
    { id: attachmentId, tenantId: scope.tenantId, chatId: scope.chatId, uploadedBy: scope.uploadedBy, deletedAt: null },
    { deletedAt: now },
  );
  return updated === 1;
}
