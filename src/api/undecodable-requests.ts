import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createContextKey, createContextValues, type ContextValues } from '@connectrpc/connect';
import type { UniversalServerResponse } from '@connectrpc/connect/protocol';
import { codeToHttpStatus, errorToJsonBytes } from '@connectrpc/connect/protocol-connect';
import { setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import { ErrorInfoSchema } from '../gen/google/rpc/error_details_pb.ts';
import { errorDomain } from './error-mapping.ts';

/**
 * api.md: a request body that cannot be decoded is INVALID_ARGUMENT, not INTERNAL. Connect-ES
 * answers INTERNAL ("parse binary: …") and, for unary methods, decodes the body before any
 * interceptor runs. So each request carries a marker the error-mapping interceptor sets; a
 * response that is INTERNAL although no interceptor ever saw the request failed while decoding it.
 */
export type RequestProgress = { hasReachedInterceptors: boolean };

export const requestProgressKey = createContextKey<RequestProgress | undefined>(undefined, { description: 'request progress' });

/** Fresh context values for one request, with its own progress marker. */
export function requestContextValues(): ContextValues {
  return createContextValues().set(requestProgressKey, { hasReachedInterceptors: false });
}

/** The status every undecodable request gets, with an `INVALID_ARGUMENT` ErrorInfo. */
export function undecodableRequestError(cause?: unknown): ConnectError {
  const info = create(ErrorInfoSchema, { reason: 'INVALID_ARGUMENT', domain: errorDomain, metadata: {} });
  return new ConnectError('the request body could not be decoded', Code.InvalidArgument, undefined, [{ desc: ErrorInfoSchema, value: info }], cause);
}

/**
 * The status of a request body larger than the server's `readMaxBytes`, which Connect-ES answers
 * with RESOURCE_EXHAUSTED: api.md reserves that code for QUOTA_EXCEEDED and calls content over the
 * byte limit INVALID_ARGUMENT, so it is that, with an `INVALID_ARGUMENT` ErrorInfo.
 */
export function oversizedRequestError(cause?: unknown): ConnectError {
  const info = create(ErrorInfoSchema, { reason: 'INVALID_ARGUMENT', domain: errorDomain, metadata: {} });
  return new ConnectError('the request body is larger than the server accepts', Code.InvalidArgument, undefined, [{ desc: ErrorInfoSchema, value: info }], cause);
}

/** What Connect-ES answers, before any interceptor, to a body it cannot decode or will not read whole. */
const replacementByCode = new Map<Code, () => ConnectError>([
  [Code.Internal, () => undecodableRequestError()],
  [Code.ResourceExhausted, () => oversizedRequestError()],
]);

/**
 * Rewrites the response of a request that failed before reaching the interceptors: INTERNAL (an
 * undecodable body) and RESOURCE_EXHAUSTED (a body over `readMaxBytes`) become INVALID_ARGUMENT,
 * in the gRPC trailers (set by the time the failed call's response exists) or, for the Connect
 * protocol, as a new JSON error body. gRPC-Web encodes its trailers into the body and is left as
 * Connect-ES answers it.
 */
export function mapUndecodableResponse(response: UniversalServerResponse, progress: RequestProgress | undefined): UniversalServerResponse {
  if (!progress || progress.hasReachedInterceptors) return response;
  const grpcReplacement = replacementByCode.get(Number(response.trailer?.get('grpc-status')) as Code);
  if (response.trailer && grpcReplacement) {
    setTrailerStatus(response.trailer, grpcReplacement());
    return response;
  }
  const header = new Headers(response.header);
  const connectReplacement = [...replacementByCode].find(([code]) => codeToHttpStatus(code) === response.status)?.[1];
  if (connectReplacement && (header.get('content-type') ?? '').startsWith('application/json')) {
    const error = connectReplacement();
    const body = errorToJsonBytes(error, {});
    header.set('content-length', String(body.length));
    return { ...response, status: codeToHttpStatus(error.code), header, body: oneChunk(body) };
  }
  return response;
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

