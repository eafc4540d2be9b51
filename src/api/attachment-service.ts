import { create } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import type { MikroORM } from '@mikro-orm/postgresql';
import {
  AttachmentService,
  CreateAttachmentResponseSchema,
  DeleteAttachmentResponseSchema,
  GetAttachmentResponseSchema,
} from '../gen/minichat/v1/attachment_service_pb.ts';
import { createAttachment } from '../use-cases/create-attachment.ts';
import { deleteAttachment } from '../use-cases/delete-attachment.ts';
import { getAttachment } from '../use-cases/get-attachment.ts';
import { toAttachmentProto } from './converters/attachment-converters.ts';
import { requesterOf } from './requester.ts';
import {
  parseCreateAttachmentRequest,
  parseDeleteAttachmentRequest,
  parseGetAttachmentRequest,
} from './validation/attachment-requests.ts';

/** `minichat.v1.AttachmentService`: each handler validates, calls one use case and converts the result. */
export function registerAttachmentService(router: ConnectRouter, deps: { orm: MikroORM }): void {
  const { orm } = deps;
  router.service(AttachmentService, {
    async createAttachment(req, ctx) {
      const attachment = await createAttachment(orm, { requester: requesterOf(ctx), ...parseCreateAttachmentRequest(req) });
      return create(CreateAttachmentResponseSchema, { attachment: toAttachmentProto(attachment) });
    },
    async getAttachment(req, ctx) {
      const attachment = await getAttachment(orm, { requester: requesterOf(ctx), ...parseGetAttachmentRequest(req) });
      return create(GetAttachmentResponseSchema, { attachment: toAttachmentProto(attachment) });
    },
    async deleteAttachment(req, ctx) {
      await deleteAttachment(orm, { requester: requesterOf(ctx), ...parseDeleteAttachmentRequest(req) });
      return create(DeleteAttachmentResponseSchema, {});
    },
  });
}
