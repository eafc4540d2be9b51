import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Counter, Histogram } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { OutboxState } from './sql/read-outbox-state.ts';

/** The relay's instruments (audit-and-relay.md, "Metrics"); labels are low-cardinality only. */
export type RelayMetrics = {
  readonly publishedTotal: Counter;
  readonly publishErrorsTotal: Counter<{ reason: 'refused' | 'unavailable' | 'database' }>;
  readonly commitToPublishMs: Histogram;
  /** Latest backlog, oldest age and dead letters, reported by the gauges until the next call. */
  setOutboxState(state: OutboxState): void;
};

/** The `/metrics` and `/ready` endpoint of the relay. */
export type MetricsEndpoint = {
  readonly metrics: RelayMetrics;
  /** The port actually listened on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
};

// From a NOTIFY-woken relay (milliseconds) to a backlog after an outage (minutes).
const commitToPublishBucketsMs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000];

/**
 * Serves Prometheus `/metrics` and `/ready` (200 while `isReady()`, else 503) on `port` of all
 * interfaces, and returns the instruments the relay records into.
 */
export async function startMetricsEndpoint(options: { port: number; isReady: () => boolean }): Promise<MetricsEndpoint> {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const meter = provider.getMeter('mini-chat-relay');
  let state: OutboxState = { backlog: 0, oldestUnpublishedAgeSeconds: 0, deadLetters: 0 };
  meter
    .createObservableGauge('mini_chat_outbox_backlog', { description: 'Outbox events waiting to be published (neither published nor dead-lettered)' })
    .addCallback((result) => result.observe(state.backlog));
  meter
    .createObservableGauge('mini_chat_outbox_oldest_unpublished_age_seconds', { description: 'Age of the oldest event waiting to be published' })
    .addCallback((result) => result.observe(state.oldestUnpublishedAgeSeconds));
  meter
    .createObservableGauge('mini_chat_outbox_dead_letters', { description: 'Dead letters not yet replayed or discarded' })
    .addCallback((result) => result.observe(state.deadLetters));
  const metrics: RelayMetrics = {
    publishedTotal: meter.createCounter('mini_chat_outbox_published_total', { description: 'Events acknowledged by Kafka (a re-published duplicate counts again)' }),
    publishErrorsTotal: meter.createCounter('mini_chat_outbox_publish_errors_total', { description: 'Failed publish attempts and database errors of the relay, by reason' }),
    commitToPublishMs: meter.createHistogram('mini_chat_outbox_commit_to_publish_ms', {
      description: "Time from the event's transaction to Kafka's acknowledgement",
      advice: { explicitBucketBoundaries: commitToPublishBucketsMs },
    }),
    setOutboxState: (next) => (state = next),
  };

  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (path === '/metrics') return exporter.getMetricsRequestHandler(request, response);
    if (path === '/ready') {
      const isReady = options.isReady();
      response.writeHead(isReady ? 200 : 503, { 'content-type': 'text/plain' }).end(isReady ? 'ready\n' : 'not ready\n');
      return;
    }
    response.writeHead(404).end();
  });
  await listen(server, options.port);
  return {
    metrics,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await provider.shutdown();
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
