import type { MikroORM } from '@mikro-orm/postgresql';
import { findAttachmentForOwner } from '../db/repositories/attachment.repository.ts';
import { findChatForOwner } from '../db/repositories/chat.repository.ts';
import { attachmentNotFound, chatNotFound } from '../domain/errors.ts';
import type { Requester } from './chat-commands.ts';
import type { AttachmentMetadata } from './create-attachment.ts';

export type GetAttachmentCommand = { readonly requester: Requester; readonly chatId: string; readonly attachmentId: string };

/**
 * The metadata of a live attachment the caller uploaded to this chat; the content is never read.
 * A chat that is not the caller's live chat is CHAT_NOT_FOUND; a missing, deleted or foreign
 * attachment, or one of another chat, is ATTACHMENT_NOT_FOUND.
 */
export async function getAttachment(orm: MikroORM, command: GetAttachmentCommand): Promise<AttachmentMetadata> {
  // A read: no transaction needed.
  const em = orm.em.fork();
  const { owner } = command.requester;
  const chat = await findChatForOwner(em, owner, command.chatId);
  if (!chat) throw chatNotFound(command.chatId);
  const scope = { tenantId: owner.tenantId, chatId: chat.id, uploadedBy: owner.userId };
  const attachment = await findAttachmentForOwner(em, scope, command.attachmentId);
  if (!attachment) {
    throw attachmentNotFound(command.chatId, command.attachmentId);
  }
  return attachment;
}
