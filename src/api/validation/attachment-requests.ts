import { z } from 'zod';
import type {
  CreateAttachmentRequest,
  DeleteAttachmentRequest,
  GetAttachmentRequest,
} from '../../gen/minichat/v1/attachment_service_pb.ts';
import { uuidField } from './fields.ts';
import { parseRequest } from './parse-request.ts';

/**
 * The largest attachment content: 5 MiB (api.md). Bodies up to the server's `readMaxBytes`
 * (8 MiB, set in `main.ts` so that a 5 MiB upload also fits as base64 in Connect JSON) reach this
 * check, so too-large content is INVALID_ARGUMENT with a violation on `content`. A body over 8 MiB
 * is refused by Connect-ES while reading it, with RESOURCE_EXHAUSTED, before any interceptor runs
 * (so without our ErrorInfo): the server never buffers much more than 8 MiB for one request.
 */
export const maxAttachmentBytes = 5 * 1024 * 1024;

const maxFilenameChars = 255;

/** text/* and the common document and image types a model can be given (api.md CreateAttachment). */
const allowedContentTypes = [
  'text/plain',
  'text/markdown',
  'text/csv',
  'text/html',
  'application/json',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/msword',
] as const;

/**
 * The name we store: only the last path segment (a client-side path, `/` or `\`, says nothing we
 * keep), without control characters, without leading dots (no hidden or `..` names) and trimmed.
 */
function sanitizeFilename(filename: string): string {
  const withoutControls = filename.replace(/\p{Cc}/gu, '');
  const lastSegment = withoutControls.split(/[/\\]/).at(-1) ?? '';
  return lastSegment.replace(/^[\s.]+/u, '').trimEnd();
}

/** `Text/Plain; charset=utf-8` → `text/plain`: parameters are dropped, the type is case-insensitive. */
function normalizeContentType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

const createAttachmentSchema = z.object({
  chat_id: uuidField,
  filename: z
    .string()
    .transform(sanitizeFilename)
    .pipe(
      z
        .string()
        .min(1, { message: 'must name a file (not empty after removing paths, control characters and leading dots)' })
        .refine((filename) => [...filename].length <= maxFilenameChars, { message: `must be at most ${maxFilenameChars} characters` }),
    ),
  content_type: z
    .string()
    .transform(normalizeContentType)
    .pipe(z.enum(allowedContentTypes, { message: `must be one of: ${allowedContentTypes.join(', ')}` })),
  content: z
    .custom<Uint8Array>((content) => content instanceof Uint8Array, { message: 'must be bytes' })
    .refine((content) => content.byteLength > 0, { message: 'must not be empty' })
    .refine((content) => content.byteLength <= maxAttachmentBytes, { message: `must be at most ${maxAttachmentBytes} bytes (5 MiB)` }),
});

/** The upload as the use case takes it: sanitised filename, bare lower-case content type. */
export function parseCreateAttachmentRequest(req: CreateAttachmentRequest) {
  const parsed = parseRequest(createAttachmentSchema, {
    chat_id: req.chatId,
    filename: req.filename,
    content_type: req.contentType,
    content: req.content,
  });
  return { chatId: parsed.chat_id, filename: parsed.filename, contentType: parsed.content_type, content: parsed.content };
}

const attachmentIdsSchema = z.object({ chat_id: uuidField, attachment_id: uuidField });

export function parseGetAttachmentRequest(req: GetAttachmentRequest) {
  const parsed = parseRequest(attachmentIdsSchema, { chat_id: req.chatId, attachment_id: req.attachmentId });
  return { chatId: parsed.chat_id, attachmentId: parsed.attachment_id };
}

export function parseDeleteAttachmentRequest(req: DeleteAttachmentRequest) {
  const parsed = parseRequest(attachmentIdsSchema, { chat_id: req.chatId, attachment_id: req.attachmentId });
  return { chatId: parsed.chat_id, attachmentId: parsed.attachment_id };
}
