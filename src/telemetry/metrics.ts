import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { registerRuntimeMetrics } from './runtime-metrics.ts';
import { serviceName } from './service-name.ts';

/** The `result` label of `mini_chat_turn_mutation_total` (turns.md "Metrics"). */
export type MutationResult = 'ok' | 'not_latest' | 'invalid_state' | 'forbidden' | 'generation_in_progress' | 'not_found' | 'error';
export type MutationOp = 'retry' | 'edit' | 'delete';
/** The `result` label of `mini_chat_stream_total`: how a turn stream's turn ended. */
export type StreamResult = 'completed' | 'failed' | 'cancelled';

/**
 * The service's metric instruments. Labels are low-cardinality only: never tenant, user, chat or
 * request ids.
 */
export type ServiceMetrics = {
  readonly turnMutationTotal: Counter<{ op: MutationOp; result: MutationResult }>;
  readonly turnMutationLatencyMs: Histogram<{ op: MutationOp }>;
  readonly streamsActive: UpDownCounter;
  readonly streamTotal: Counter<{ result: StreamResult }>;
  readonly ttftMs: Histogram;
  readonly ttftOverheadMs: Histogram;
  readonly timeToAbortMs: Histogram;
  readonly orphansFinalizedTotal: Counter;
};

const latencyBucketsMs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000];

/** Creates the instruments of turns.md "Metrics" on `meter`; see `ServiceMetrics` for their meaning. */
export function createServiceMetrics(meter: Meter): ServiceMetrics {
  const histogram = (name: string, description: string) => meter.createHistogram(name, { description, advice: { explicitBucketBoundaries: latencyBucketsMs } });
  return {
    turnMutationTotal: meter.createCounter('mini_chat_turn_mutation_total', { description: 'Retry, Edit and Delete calls by outcome' }),
    turnMutationLatencyMs: histogram('mini_chat_turn_mutation_latency_ms', 'Retry, Edit and Delete latency until the mutation committed or was refused'),
    streamsActive: meter.createUpDownCounter('mini_chat_streams_active', { description: 'Turn streams currently open' }),
    streamTotal: meter.createCounter('mini_chat_stream_total', { description: 'Turn streams by terminal state' }),
    ttftMs: histogram('mini_chat_ttft_ms', 'Time from the turn start (preflight) to the first token handed to the client stream'),
    ttftOverheadMs: histogram('mini_chat_ttft_overhead_ms', "mini_chat_ttft_ms minus the provider's own time to first token (provider request sent to first token received)"),
    timeToAbortMs: histogram('mini_chat_time_to_abort_ms', 'Time from a cancellation being observed to the in-flight provider request having ended'),
    orphansFinalizedTotal: meter.createCounter('mini_chat_orphans_finalized_total', { description: 'Running turns failed by the orphan watchdog' }),
  };
}

/**
 * Serves `/metrics` for Prometheus on `port` (METRICS_PORT) and returns the meter to create
 * instruments from, with the process/runtime gauges already registered and the resource's
 * `service.name` (exposed as `target_info`). Port 0 keeps the exporter but serves nothing (tests
 * read it in-process).
 */
export async function startMetricsEndpoint(options: { host: string; port: number }): Promise<{ meter: Meter; exporter: PrometheusExporter; shutdown(): Promise<void> }> {
  const exporter = new PrometheusExporter({ host: options.host, port: options.port, preventServerStart: true, withoutScopeInfo: true });
  if (options.port !== 0) await exporter.startServer();
  const provider = new MeterProvider({ readers: [exporter], resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }) });
  const meter = provider.getMeter(serviceName);
  const stopRuntimeMetrics = registerRuntimeMetrics(meter);
  return {
    meter,
    exporter,
    shutdown: async () => {
      stopRuntimeMetrics();
      await provider.shutdown();
    },
  };
}
