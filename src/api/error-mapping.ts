import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';

type OutgoingDetails = NonNullable<ConstructorParameters<typeof ConnectError>[3]>;
import type { TurnError, TurnErrorReason } from '../domain/errors.ts';
import { BadRequestSchema, BadRequest_FieldViolationSchema, ErrorInfoSchema } from '../gen/google/rpc/error_details_pb.ts';

/** The error domain every `google.rpc.ErrorInfo` we send carries. */
export const errorDomain = 'minichat';

/** One code per reason (api.md); the compiler forces an entry for every new reason. */
const codeByReason = {
  UNAUTHENTICATED: Code.Unauthenticated,
  FORBIDDEN: Code.PermissionDenied,
  INVALID_ARGUMENT: Code.InvalidArgument,
  CHAT_NOT_FOUND: Code.NotFound,
  TURN_NOT_FOUND: Code.NotFound,
  ATTACHMENT_NOT_FOUND: Code.NotFound,
  INVALID_ATTACHMENT: Code.InvalidArgument,
  INVALID_TURN_STATE: Code.FailedPrecondition,
  NOT_LATEST_TURN: Code.FailedPrecondition,
  GENERATION_IN_PROGRESS: Code.Aborted,
  REQUEST_ID_CONFLICT: Code.AlreadyExists,
  INPUT_TOO_LONG: Code.InvalidArgument,
  QUOTA_EXCEEDED: Code.ResourceExhausted,
  MODEL_UNAVAILABLE: Code.FailedPrecondition,
} satisfies Record<TurnErrorReason, Code>;

/** Turns an expected outcome into the status the client sees: code, message and typed details. */
export function connectErrorFromTurnError(error: TurnError): ConnectError {
  const details: OutgoingDetails = [
    {
      desc: ErrorInfoSchema,
      value: create(ErrorInfoSchema, { reason: error.reason, domain: errorDomain, metadata: { ...error.metadata } }),
    },
  ];
  if (error.fieldViolations.length > 0) {
    const fieldViolations = error.fieldViolations.map((violation) => create(BadRequest_FieldViolationSchema, violation));
    details.push({ desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations }) });
  }
  return new ConnectError(error.message, codeByReason[error.reason], undefined, details, error);
}

/**
 * An unexpected failure: INTERNAL with a generic message and an `INTERNAL` ErrorInfo. The original
 * error stays as `cause` for the log line and never reaches the client (no SQL, no stack, no
 * provider identifiers).
 */
export function internalError(cause: unknown, traceId: string | undefined): ConnectError {
  const metadata: Record<string, string> = traceId ? { trace_id: traceId } : {};
  const info = create(ErrorInfoSchema, { reason: 'INTERNAL', domain: errorDomain, metadata });
  return new ConnectError('internal error', Code.Internal, undefined, [{ desc: ErrorInfoSchema, value: info }], cause);
}
