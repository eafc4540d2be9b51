/**
 * The tracing bootstrap, loaded before anything else with
 * `node --import ./src/telemetry/tracing.ts src/main.ts`, so the global tracer provider,
 * the AsyncLocalStorage context manager and the W3C trace-context propagator exist before the first
 * module asks for a tracer.
 *
 * Spans always exist (their trace ids go into audit events and log lines); they are exported over
 * OTLP only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.
 *
 * Configuration: nothing here touches the environment object directly. The standard `OTEL_*`
 * variables are the SDK's own, specified interface (endpoint, protocol, headers, sampler, batch sizes,
 * propagators, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SDK_DISABLED`), and the SDK reads them with its
 * own reader (`getStringFromEnv` of `@opentelemetry/core`); parsing them again in `src/config`
 * would duplicate the spec and could drift from it. Besides, this file runs before `main.ts`
 * loads the config, and the telemetry layer may not import `src/config`. Our one decision, export
 * or not, asks that same reader whether an endpoint is set.
 */
import { getStringFromEnv } from '@opentelemetry/core';
import { startNodeSdk } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import { serviceName } from './service-name.ts';

const hasOtlpEndpoint = getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined || getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined;

const sdk = startNodeSdk({
  resourceAttributes: { 'service.name': serviceName },
  // Without an endpoint: a provider whose spans go nowhere (an empty list would mean no provider at
  // all, hence no trace ids). With one: the SDK builds its OTLP exporter and batch processor from
  // the OTEL_* variables (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_BSP_*).
  ...(hasOtlpEndpoint ? {} : { spanProcessors: [new NoopSpanProcessor()] }),
  // Metrics are served on METRICS_PORT by the service's own MeterProvider (telemetry/metrics.ts);
  // logs go to stdout through pino. The SDK must not start OTLP pushers for either.
  metricReaders: [],
  logRecordProcessors: [],
});

/**
 * Flushes spans that are still queued for export. `main.ts` awaits it last on shutdown; a process
 * that never loaded this module (tests, CLIs) gets the no-op of the API and loses nothing.
 */
export function shutdownTracing(): Promise<void> {
  return sdk.shutdown();
}
