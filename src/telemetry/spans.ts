import { SpanStatusCode, context, isSpanContextValid, trace, type Attributes, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import { serviceName } from './service-name.ts';

// A proxy: it delegates to whatever provider is registered, also when that happens after import
// (the `--import` bootstrap in production, an in-memory provider in tests).
const tracer = trace.getTracer(serviceName);

/**
 * Starts a span that is not made active: for spans whose life is not one function call (the RPC
 * span of a stream, the provider stream). The caller ends it. `parent` defaults to the active context.
 */
export function startSpan(name: string, options: SpanOptions, parent: Context = context.active()): Span {
  return tracer.startSpan(name, options, parent);
}

/**
 * Runs `fn` inside a new child span of the active one, made active for `fn`, so spans and log lines
 * made inside belong to it. The span ends when `fn` settles and is marked failed if `fn` throws.
 */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Sets error status on a span and records the exception (its type and message, no request data). */
export function markFailed(span: Span, error: unknown, message?: string): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? (error instanceof Error ? error.message : String(error)) });
}

/**
 * The trace and span id of the active span, or undefined when there is none (no tracer provider
 * registered, or code running outside any span).
 */
export function activeSpanIds(): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
