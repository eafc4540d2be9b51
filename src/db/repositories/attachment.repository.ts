import type { EntityManager } from '@mikro-orm/postgresql';
import { type Attachment, AttachmentSchema } from '../entities/attachment.entity.ts';

/** Every query is scoped by tenant, chat and uploader: another user's attachment does not exist. */
export type AttachmentScope = { readonly tenantId: string; readonly chatId: string; readonly uploadedBy: string };

/** The ids among `ids` that are live attachments of this chat uploaded by this user (one raw statement). */
export async function findLinkableAttachmentIds(em: EntityManager, scope: AttachmentScope, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await em.execute<Array<{ id: string }>>(
    `select id from attachments
      where id in (${ids.map(() => '?').join(', ')}) and tenant_id = ? and chat_id = ? and uploaded_by = ? and deleted_at is null`,
    [...ids, scope.tenantId, scope.chatId, scope.uploadedBy],
  );
  return new Set(rows.map((row) => row.id));
}

/** Links attachments to a message, in the given order (one INSERT for all links). */
export async function linkAttachments(
  em: EntityManager,
  link: { tenantId: string; chatId: string; messageId: string; attachmentIds: readonly string[]; now: Date },
): Promise<void> {
  if (link.attachmentIds.length === 0) return;
  await em.execute(
    `insert into message_attachments (message_id, attachment_id, chat_id, tenant_id, created_at)
     values ${link.attachmentIds.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
    link.attachmentIds.flatMap((attachmentId, index) => [
      link.messageId,
      attachmentId,
      link.chatId,
      link.tenantId,
      // Spaced by a millisecond so reading the links back in `created_at` order keeps the request's order.
      new Date(link.now.getTime() + index),
    ]),
    'run',
  );
}

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
