import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Attachment } from '../db/entities/attachment.entity.ts';
import { insertAttachment } from '../db/repositories/attachment.repository.ts';
import { findChatForOwner } from '../db/repositories/chat.repository.ts';
import { runInTransaction } from '../db/transaction.ts';
import { chatNotFound } from '../domain/errors.ts';
import type { Requester } from './chat-commands.ts';

/** What an attachment read returns: everything but the content, which no RPC sends back. */
export type AttachmentMetadata = Omit<Attachment, 'content'>;

export type CreateAttachmentCommand = {
  readonly requester: Requester;
  readonly chatId: string;
  /** Already sanitised and checked by the API layer. */
  readonly filename: string;
  readonly contentType: string;
  readonly content: Uint8Array;
};

/**
 * Stores a file, uploaded by the caller, in one of the caller's live chats (CHAT_NOT_FOUND
 * otherwise). The chat is not locked: an upload racing a DeleteChat may land in the deleted chat,
 * where no read can reach it, which is the same as having been refused.
 */
export async function createAttachment(orm: MikroORM, command: CreateAttachmentCommand): Promise<AttachmentMetadata> {
  return runInTransaction(orm.em, async (em) => {
    const chat = await findChatForOwner(em, command.requester.owner, command.chatId);
    if (!chat) throw chatNotFound(command.chatId);
    const attachment: AttachmentMetadata = {
      id: randomUUID(),
      tenantId: command.requester.owner.tenantId,
      chatId: chat.id,
      uploadedBy: command.requester.owner.userId,
      filename: command.filename,
      contentType: command.contentType,
      sizeBytes: command.content.byteLength,
      createdAt: new Date(),
      deletedAt: null,
    };
    // A view on the request's bytes, not a copy: up to 5 MiB.
    const content = Buffer.from(command.content.buffer, command.content.byteOffset, command.content.byteLength);
    await insertAttachment(em, { ...attachment, content });
    return attachment;
  });
}
