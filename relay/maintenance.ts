import type { KafkaPublisher } from './kafka/kafka-publisher.ts';
import type { Logger } from './logger.ts';
import type { RelayMetrics } from './metrics.ts';
import type { DatabaseClient } from './sql/database-client.ts';
import { deleteExpiredEvents } from './sql/delete-expired-events.ts';
import { readOutboxState } from './sql/read-outbox-state.ts';
import { reclaimExpiredLeases } from './sql/reclaim-expired-leases.ts';

/** Options of {@link startMaintenance}. */
export type MaintenanceOptions = {
  readonly db: DatabaseClient;
  readonly publisher: KafkaPublisher;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly leaseMs: number;
  readonly retentionMs: number;
  /** Called after each round with whether the database answered. */
  readonly onDatabaseHealth: (isUp: boolean) => void;
};

// Rows per retention DELETE, and DELETEs per round: at most 10,000 rows a round, in short
// statements, so retention never competes noticeably with the claims.
const retentionBatchRows = 1_000;
const retentionBatchesPerRound = 10;

/**
 * The relay's periodic work beside publishing, one round at start and then every third of the
 * lease (1–5 s): frees expired leases, applies retention, refreshes the gauges and (re)connects
 * to Kafka, so the topic exists and `/ready` tells the truth even when nothing is published.
 */
export function startMaintenance(options: MaintenanceOptions): { stop(): Promise<void> } {
  const { db, logger } = options;
  const intervalMs = Math.min(5_000, Math.max(1_000, Math.floor(options.leaseMs / 3)));
  let round: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;

  const runRound = async () => {
    // not awaited: a Kafka that is down (seconds per connect attempt) must not delay the rest
    void options.publisher.ensureConnected().catch((error: unknown) => logger.warn({ err: error }, 'Kafka is not reachable; retrying'));
    try {
      for (const { instanceId, chats } of await reclaimExpiredLeases(db)) {
        logger.warn({ previousOwner: instanceId, chats }, 'reclaimed expired leases of a relay instance (stopped or stalled); their events are published again');
      }
      for (let n = 0; n < retentionBatchesPerRound; n += 1) {
        const deleted = await deleteExpiredEvents(db, { retentionMs: options.retentionMs, limit: retentionBatchRows });
        if (deleted > 0) logger.debug({ deleted }, 'retention deleted published events');
        if (deleted < retentionBatchRows) break;
      }
      options.metrics.setOutboxState(await readOutboxState(db));
      options.onDatabaseHealth(true);
    } catch (error) {
      options.onDatabaseHealth(false);
      options.metrics.publishErrorsTotal.add(1, { reason: 'database' });
      logger.warn({ err: error }, 'outbox maintenance failed; retrying');
    }
  };

  const schedule = () => {
    if (isStopped) return;
    timer = setTimeout(() => {
      round = runRound().finally(schedule);
    }, intervalMs);
  };
  round = runRound().finally(schedule);

  return {
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
