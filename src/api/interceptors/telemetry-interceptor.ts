import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { codeToString } from '@connectrpc/connect/protocol-connect';
import { ROOT_CONTEXT, SpanKind, context, propagation, trace, type Attributes, type Context, type TextMapGetter } from '@opentelemetry/api';
import type { Logger } from '../../telemetry/logger.ts';
import { markFailed, startSpan } from '../../telemetry/spans.ts';
import { createCallCorrelation, type CallCorrelation } from './call-correlation.ts';

/** Health probes arrive every few seconds; their access lines go to debug, not info. */
const quietServices = new Set(['grpc.health.v1.Health']);

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/**
 * One SERVER span per call, named after the procedure (`minichat.v1.TurnService/Generate`), that
 * continues the caller's W3C `traceparent`, carries the gRPC semantic-convention attributes and
 * ends with the call's final status (error status for anything but OK); and one access log line
 * per call with `procedure`, `code`, `duration_ms` and the call's correlation ids.
 *
 * It must be the outermost interceptor: it then sees the status the client sees (after error
 * mapping), and everything inside runs in the span's context. For a response stream the span ends
 * when the stream ends, and every pull of the stream runs in the span's context: Connect pulls the
 * handler's generator from its own writer loop, outside this function's `context.with`.
 */
export function telemetryInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const startedAt = performance.now();
    const parent = propagation.extract(ROOT_CONTEXT, req.header, headerGetter);
    const isGrpc = (req.header.get('content-type') ?? '').startsWith('application/grpc');
    const span = startSpan(procedure, { kind: SpanKind.SERVER, attributes: requestAttributes(req.service.typeName, req.method.name, isGrpc) }, parent);
    const spanContext = trace.setSpan(parent, span);
    const correlation = createCallCorrelation(req.contextValues);
    let isEnded = false;
    const end = (error: unknown) => {
      if (isEnded) return;
      isEnded = true;
      const code = error === undefined ? undefined : ConnectError.from(error).code;
      const ids = correlation.current();
      span.setAttributes({ ...statusAttributes(code, isGrpc), ...spanIdAttributes(ids) });
      if (code !== undefined) markFailed(span, error, statusName(code));
      const level = quietServices.has(req.service.typeName) ? 'debug' : 'info';
      context.with(spanContext, () => logger[level]({ procedure, code: statusName(code), duration_ms: Math.round(performance.now() - startedAt), ...ids }, 'call finished'));
      span.end();
    };
    try {
      if (req.stream) {
        req = { ...req, message: tapMessages(req.message, correlation.noteRequest) };
      } else {
        correlation.noteRequest(req.message);
      }
      const res = await context.with(spanContext, () => next(req));
      if (!res.stream) {
        end(undefined);
        return res;
      }
      return { ...res, message: pullInContext(res.message, spanContext, { onMessage: correlation.noteResponse, onEnd: end, signal: req.signal }) };
    } catch (error) {
      end(error);
      throw error;
    }
  };
}

function requestAttributes(service: string, method: string, isGrpc: boolean): Attributes {
  return { 'rpc.system': isGrpc ? 'grpc' : 'connect_rpc', 'rpc.system.name': isGrpc ? 'grpc' : 'connectrpc', 'rpc.service': service, 'rpc.method': method };
}

/** `rpc.status_code` (stable semconv, a name) plus the protocol's own: gRPC's number or Connect's error code. */
function statusAttributes(code: Code | undefined, isGrpc: boolean): Attributes {
  const common = { 'rpc.status_code': statusName(code) };
  if (isGrpc) return { ...common, 'rpc.grpc.status_code': code ?? 0 };
  return code === undefined ? common : { ...common, 'rpc.connect_rpc.error_code': codeToString(code) };
}

function spanIdAttributes(ids: CallCorrelation): Attributes {
  return Object.fromEntries(Object.entries(ids).map(([key, value]) => [`minichat.${key}`, value]));
}

/** The canonical gRPC status names (Connect's own strings spell `canceled`, gRPC `CANCELLED`). */
const grpcStatusNames = {
  [Code.Canceled]: 'CANCELLED',
  [Code.Unknown]: 'UNKNOWN',
  [Code.InvalidArgument]: 'INVALID_ARGUMENT',
  [Code.DeadlineExceeded]: 'DEADLINE_EXCEEDED',
  [Code.NotFound]: 'NOT_FOUND',
  [Code.AlreadyExists]: 'ALREADY_EXISTS',
  [Code.PermissionDenied]: 'PERMISSION_DENIED',
  [Code.ResourceExhausted]: 'RESOURCE_EXHAUSTED',
  [Code.FailedPrecondition]: 'FAILED_PRECONDITION',
  [Code.Aborted]: 'ABORTED',
  [Code.OutOfRange]: 'OUT_OF_RANGE',
  [Code.Unimplemented]: 'UNIMPLEMENTED',
  [Code.Internal]: 'INTERNAL',
  [Code.Unavailable]: 'UNAVAILABLE',
  [Code.DataLoss]: 'DATA_LOSS',
  [Code.Unauthenticated]: 'UNAUTHENTICATED',
} satisfies Record<Code, string>;

function statusName(code: Code | undefined): string {
  return code === undefined ? 'OK' : grpcStatusNames[code];
}

async function* tapMessages<T>(messages: AsyncIterable<T>, note: (message: unknown) => void): AsyncIterable<T> {
  for await (const message of messages) {
    note(message);
    yield message;
  }
}

/**
 * The response stream with every `next`/`return`/`throw` run in `ctx`. `onEnd` fires once, when the
 * stream finishes, fails, or is closed early by the server (then with the call signal's reason if
 * the call was aborted, e.g. the client cancelled).
 */
function pullInContext<T>(messages: AsyncIterable<T>, ctx: Context, hooks: { onMessage(message: unknown): void; onEnd(error: unknown): void; signal: AbortSignal }): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = context.with(ctx, () => messages[Symbol.asyncIterator]());
      const step = async (pull: () => Promise<IteratorResult<T>>, isClosing: boolean) => {
        try {
          const result = await context.with(ctx, pull);
          if (isClosing) hooks.onEnd(hooks.signal.aborted ? hooks.signal.reason : undefined);
          else if (result.done) hooks.onEnd(undefined);
          else hooks.onMessage(result.value);
          return result;
        } catch (error) {
          hooks.onEnd(error);
          throw error;
        }
      };
      return {
        next: () => step(() => iterator.next(), false),
        return: (value?: unknown) => step(() => iterator.return?.(value) ?? Promise.resolve({ done: true, value: undefined }), true),
        throw: (error?: unknown) => step(() => iterator.throw?.(error) ?? Promise.reject(error), true),
      };
    },
  };
}
