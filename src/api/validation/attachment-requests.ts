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
 * is refused by Connect-ES while reading it, before any interceptor runs, and answered
 * INVALID_ARGUMENT with our ErrorInfo but no field (`oversizedRequestError`): the server never
 * buffers much more than 8 MiB for one request.
 */
export const maxAttachmentBytes = 5 * 1024 * 1024;

const maxFilenameChars = 255;

/**
 * Any `text/*` (api.md CreateAttachment: these are the attachments a model is given as text), with a
 * subtype of RFC 6838's restricted-name characters, e.g. `text/x-python`, `text/xml`.
 */
const textContentType = /^text\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The common document and image types besides `text/*` (api.md CreateAttachment). */
const documentAndImageContentTypes: ReadonlySet<string> = new Set([
  'application/json',
  'application/pdf',
  'application/rtf',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

function isAllowedContentType(contentType: string): boolean {
  return textContentType.test(contentType) || documentAndImageContentTypes.has(contentType);
}

/**
 * Characters that change how a name is displayed without being seen: bidirectional overrides and
 * isolates (U+202E turns `exe.txt` around on screen) and zero-width spaces. Zero-width joiners stay:
 * scripts and emoji need them.
 */
const invisibleDisplayControls = /[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/gu;

/**
 * The name we store: only the last path segment (a client-side path, `/` or `\`, says nothing we
 * keep), without control characters or invisible display controls, without leading dots (no hidden
 * or `..` names) and trimmed.
 */
function sanitizeFilename(filename: string): string {
  const withoutControls = filename.replace(/\p{Cc}/gu, '').replace(invisibleDisplayControls, '');
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
    .pipe(z.string().refine(isAllowedContentType, { message: `must be text/* or one of: ${[...documentAndImageContentTypes].join(', ')}` })),
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
