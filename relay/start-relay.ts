import pg from 'pg';
import type { RelayConfig } from './config.ts';
import { createKafkaPublisher } from './kafka/kafka-publisher.ts';
import type { Logger } from './logger.ts';
import { startMaintenance } from './maintenance.ts';
import { startMetricsEndpoint } from './metrics.ts';
import { startRelayLoop } from './relay-loop.ts';
import { listenForCommits } from './wake-up.ts';

/** A running relay (the process of `npm run relay`, or one started in a test). */
export type Relay = {
  /** Where `/metrics` and `/ready` are served. */
  readonly metricsPort: number;
  /**
   * Graceful stop: claims nothing more, finishes and records the batches in flight, then closes
   * the producer, the LISTEN connection, the pool and the endpoint.
   */
  stop(): Promise<void>;
};

/**
 * Starts every part of the relay for `config`. Resolves once the metrics endpoint listens; the
 * database and Kafka may still be down then, and are retried until they answer.
 */
export async function startRelay(config: RelayConfig, logger: Logger): Promise<Relay> {
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4, application_name: 'mini-chat-relay', keepAlive: true });
  // An idle connection the server closed (restart, pg_terminate_backend) is dropped by the pool;
  // without a listener the 'error' event would end the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'an idle database connection was closed'));
  const publisher = createKafkaPublisher({ brokers: config.kafkaBrokers, topic: config.auditTopic, topicPartitions: config.topicPartitions, logger });
  const wakeUp = listenForCommits({ databaseUrl: config.databaseUrl, pollIntervalMs: config.pollIntervalMs, logger });
  let isStopping = false;
  let isMaintenanceDatabaseUp = false;
  let loop: { readonly isDatabaseUp: boolean } | undefined;
  const endpoint = await startMetricsEndpoint({
    port: config.metricsPort,
    isReady: () => !isStopping && isMaintenanceDatabaseUp && loop?.isDatabaseUp === true && publisher.isConnected,
  });
  const relayLoop = startRelayLoop({ db: pool, publisher, wakeUp, metrics: endpoint.metrics, logger, ...config });
  loop = relayLoop;
  const maintenance = startMaintenance({
    db: pool,
    publisher,
    metrics: endpoint.metrics,
    logger,
    leaseMs: config.leaseMs,
    retentionMs: config.retentionMs,
    onDatabaseHealth: (isUp) => (isMaintenanceDatabaseUp = isUp),
  });
  logger.info(
    { topic: config.auditTopic, batchSize: config.batchSize, pollIntervalMs: config.pollIntervalMs, leaseMs: config.leaseMs, metricsPort: endpoint.port },
    'relay started',
  );
  return {
    metricsPort: endpoint.port,
    async stop() {
      isStopping = true;
      await relayLoop.stop();
      await maintenance.stop();
      await publisher.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the Kafka producer failed'));
      await wakeUp.close();
      await pool.end();
      await endpoint.close();
      logger.info('relay stopped');
    },
  };
}
