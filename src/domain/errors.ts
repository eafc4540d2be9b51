/**
 * Expected outcomes of a request, with the reasons of api.md as a closed union. The API layer maps
 * each reason to one gRPC/Connect code (see `api/error-mapping.ts`); anything that is not a
 * `TurnError` is an unexpected failure and becomes INTERNAL.
 */
export const turnErrorReasons = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INVALID_ARGUMENT',
  'CHAT_NOT_FOUND',
  'TURN_NOT_FOUND',
  'ATTACHMENT_NOT_FOUND',
  'INVALID_ATTACHMENT',
  'INVALID_TURN_STATE',
  'NOT_LATEST_TURN',
  'GENERATION_IN_PROGRESS',
  'REQUEST_ID_CONFLICT',
  'INPUT_TOO_LONG',
  'QUOTA_EXCEEDED',
  'MODEL_UNAVAILABLE',
] as const;

export type TurnErrorReason = (typeof turnErrorReasons)[number];

/** One bad request field, reported in a `google.rpc.BadRequest` detail. */
export type FieldViolation = { readonly field: string; readonly description: string };

export type TurnErrorOptions = {
  /** Ids involved (chat_id, request_id, …), sent as `ErrorInfo.metadata`. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly fieldViolations?: readonly FieldViolation[];
  readonly cause?: unknown;
};

export class TurnError extends Error {
  readonly reason: TurnErrorReason;
  readonly metadata: Readonly<Record<string, string>>;
  readonly fieldViolations: readonly FieldViolation[];

  constructor(reason: TurnErrorReason, message: string, options: TurnErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'TurnError';
    this.reason = reason;
    this.metadata = options.metadata ?? {};
    this.fieldViolations = options.fieldViolations ?? [];
  }
}

/** A request that failed validation: INVALID_ARGUMENT with one violation per bad field. */
export function invalidArgument(fieldViolations: readonly FieldViolation[]): TurnError {
  const fields = fieldViolations.map((violation) => violation.field).join(', ');
  return new TurnError('INVALID_ARGUMENT', `invalid request: ${fields}`, { fieldViolations });
}

export function chatNotFound(chatId: string): TurnError {
  return new TurnError('CHAT_NOT_FOUND', `chat ${chatId} not found`, { metadata: { chat_id: chatId } });
}

export function attachmentNotFound(chatId: string, attachmentId: string): TurnError {
  return new TurnError('ATTACHMENT_NOT_FOUND', `attachment ${attachmentId} not found`, { metadata: { chat_id: chatId, attachment_id: attachmentId } });
}

export function modelUnavailable(chatId: string, model: string): TurnError {
  return new TurnError('MODEL_UNAVAILABLE', `the chat's model ${model} is not in the catalog`, { metadata: { chat_id: chatId, model } });
}
