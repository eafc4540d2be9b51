import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

export type InMemoryTracing = {
  /** Every span ended so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** The ended spans of one trace. */
  spansOfTrace(traceId: string): ReadableSpan[];
  /** Unregisters the provider, context manager and propagator again. */
  stop(): Promise<void>;
};

/**
 * Registers what `src/telemetry/tracing.ts` registers in the service (a tracer provider, the
 * AsyncLocalStorage context manager and the W3C trace-context propagator), but with an in-memory
 * exporter, so a test in this process can read the spans the code under test made.
 */
export function startInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () => exporter.getFinishedSpans(),
    spansOfTrace: (traceId) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId),
    async stop() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
