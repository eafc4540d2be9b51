import { z } from 'zod';
import type { DeleteRequest, EditRequest, GenerateRequest, GetTurnRequest, RetryRequest } from '../../gen/minichat/v1/turn_service_pb.ts';
import { uuidField } from './fields.ts';
import { parseRequest, schemaPerSetting } from './parse-request.ts';

/** Most distinct attachments one message may link (turns.md, Generate step 1). */
const maxAttachments = 20;

/** Message text: not blank, at most `maxBytes` UTF-8 bytes (MAX_MESSAGE_BYTES). */
export function contentField(maxBytes: number) {
  return z
    .string()
    .refine((text) => text.trim().length > 0, { message: 'must not be empty or only whitespace' })
    .refine((text) => Buffer.byteLength(text, 'utf8') <= maxBytes, { message: `must be at most ${maxBytes} bytes (UTF-8)` });
}

const attachmentIdsField = z
  .array(uuidField)
  .max(maxAttachments, { message: `must list at most ${maxAttachments} attachments` })
  .refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat an attachment id' });

const generateSchema = schemaPerSetting((maxMessageBytes: number) =>
  z.object({
    chat_id: uuidField,
    request_id: z.union([z.literal(''), uuidField]),
    content: contentField(maxMessageBytes),
    attachment_ids: attachmentIdsField,
  }),
);

/** Generate's command fields; an empty request id means "the server makes one". */
export function parseGenerateRequest(req: GenerateRequest, limits: { maxMessageBytes: number }) {
  const parsed = parseRequest(generateSchema(limits.maxMessageBytes), {
    chat_id: req.chatId,
    request_id: req.requestId,
    content: req.content,
    attachment_ids: req.attachmentIds,
  });
  return {
    chatId: parsed.chat_id,
    requestId: parsed.request_id === '' ? undefined : parsed.request_id,
    content: parsed.content,
    attachmentIds: parsed.attachment_ids,
    webSearch: req.webSearch,
  };
}

const turnAddressSchema = z.object({ chat_id: uuidField, request_id: uuidField });

/** A turn is addressed by its chat and its request id. */
export function parseGetTurnRequest(req: Pick<GetTurnRequest, 'chatId' | 'requestId'>) {
  const parsed = parseRequest(turnAddressSchema, { chat_id: req.chatId, request_id: req.requestId });
  return { chatId: parsed.chat_id, requestId: parsed.request_id };
}

/** Retry and Delete address the chat's latest turn by its request id. */
export function parseRetryRequest(req: RetryRequest) {
  return parseGetTurnRequest(req);
}

export function parseDeleteRequest(req: DeleteRequest) {
  return parseGetTurnRequest(req);
}

const editSchema = schemaPerSetting((maxMessageBytes: number) => turnAddressSchema.extend({ content: contentField(maxMessageBytes) }));

/** Edit's new content is validated like Generate's. */
export function parseEditRequest(req: EditRequest, limits: { maxMessageBytes: number }) {
  const parsed = parseRequest(editSchema(limits.maxMessageBytes), { chat_id: req.chatId, request_id: req.requestId, content: req.content });
  return { chatId: parsed.chat_id, requestId: parsed.request_id, content: parsed.content };
}
