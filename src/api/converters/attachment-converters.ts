import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AttachmentSchema, type Attachment as AttachmentProto } from '../../gen/minichat/v1/attachment_pb.ts';
import type { AttachmentMetadata } from '../../use-cases/create-attachment.ts';

/** An attachment's metadata on the wire; the content is never sent back. */
export function toAttachmentProto(attachment: AttachmentMetadata): AttachmentProto {
  return create(AttachmentSchema, {
    id: attachment.id,
    chatId: attachment.chatId,
    filename: attachment.filename,
    contentType: attachment.contentType,
    sizeBytes: BigInt(attachment.sizeBytes),
    createTime: timestampFromDate(attachment.createdAt),
  });
}
