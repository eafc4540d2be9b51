import type { MikroORM } from '@mikro-orm/postgresql';
import { softDeleteAttachment } from '../db/repositories/attachment.repository.ts';
import { findChatForOwner } from '../db/repositories/chat.repository.ts';
import { runInTransaction } from '../db/transaction.ts';
import { attachmentNotFound, chatNotFound } from '../domain/errors.ts';
import type { Requester } from './chat-commands.ts';

export type DeleteAttachmentCommand = { readonly requester: Requester; readonly chatId: string; readonly attachmentId: string };

/**
 * Soft-deletes a live attachment the caller uploaded to this chat: later Generate calls can no
 * longer use it, messages that already link it keep the link. Same not-found rules as
 * `getAttachment`; of two deletes of one attachment exactly one succeeds, the other (concurrent or
 * later) is ATTACHMENT_NOT_FOUND.
 */
export async function deleteAttachment(orm: MikroORM, command: DeleteAttachmentCommand): Promise<void> {
  await runInTransaction(orm.em, async (em) => {
    const { owner } = command.requester;
    const chat = await findChatForOwner(em, owner, command.chatId);
    if (!chat) throw chatNotFound(command.chatId);
    const scope = { tenantId: owner.tenantId, chatId: chat.id, uploadedBy: owner.userId };
    const isDeleted = await softDeleteAttachment(em, scope, command.attachmentId, new Date());
    if (!isDeleted) {
      throw attachmentNotFound(command.chatId, command.attachmentId);
    }
  });
}
