import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { describeError, publishBatch, type PublishOutcome } from './kafka/publish-batch.ts';
import type { KafkaPublisher } from './kafka/kafka-publisher.ts';
import type { Logger } from './logger.ts';
import type { RelayMetrics } from './metrics.ts';
import { claimBatch, type ClaimedEvent } from './sql/claim-batch.ts';
import { markPublished, progressOf } from './sql/mark-published.ts';
import { scheduleRetry } from './sql/schedule-retry.ts';
import { inTransaction } from './sql/transaction.ts';
import type { WakeUp } from './wake-up.ts';

/** Options of {@link startRelayLoop}. */
export type RelayLoopOptions = {
  readonly db: pg.Pool;
  readonly publisher: KafkaPublisher;
  readonly wakeUp: WakeUp;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly batchSize: number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
};

/** A running relay loop. */
export type RelayLoop = {
  /** False after a failed statement, true again after the next one that succeeded. */
  readonly isDatabaseUp: boolean;
  /** Claims nothing more, finishes the batches in flight and records their outcome; then resolves. */
  stop(): Promise<void>;
};

// Two workers, each with up to two batches in flight: while a batch waits for Kafka's
// acknowledgement, others are claimed, queued in kafkajs behind it (one request in flight) and
// settled, so the producer always has the next batch when an acknowledgement comes. Measured on 2
// cores with a 100,000-event backlog: one worker with two batches 0.69 of a raw producer's
// throughput, one with three 0.69, two workers 0.77. Batches hold different chats, so their
// order does not matter.
const workers = 2;
const batchesInFlight = 2;
// After stop, how long recording a finished batch may keep retrying a failing database.
const settleGraceMs = 10_000;
const databaseRetryDelaysMs = [100, 250, 500, 1_000, 2_000, 5_000];

/**
 * The relay: claim a batch of chats, publish it, record the outcome; again at once while there is
 * work, otherwise after a NOTIFY or the poll interval. Nothing it meets stops it: database and
 * Kafka errors are logged, counted and retried with backoff.
 */
export function startRelayLoop(options: RelayLoopOptions): RelayLoop {
  const { db, logger, metrics } = options;
  const stopping = new AbortController();
  let stopDeadline = Number.POSITIVE_INFINITY;
  let isDatabaseUp = true;

  const withDatabaseRetry = async <T>(what: string, statement: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await statement();
        isDatabaseUp = true;
        return result;
      } catch (error) {
        isDatabaseUp = false;
        metrics.publishErrorsTotal.add(1, { reason: 'database' });
        logger.warn({ err: error, attempt }, `${what} failed; retrying`);
        if (Date.now() > stopDeadline) throw error;
        await sleep(databaseRetryDelaysMs[Math.min(attempt, databaseRetryDelaysMs.length - 1)]);
      }
    }
  };

  // Failures first, in one transaction with the rest: they are fenced by our lease, which
  // marking published releases; and no other instance may see the chat free in between.
  const settle = async (outcome: PublishOutcome) => {
    const { instanceId, maxAttempts } = options;
    const published = { instanceId, progress: progressOf(outcome.published) };
    if (outcome.failures.length === 0) {
      await withDatabaseRetry('marking published', () => markPublished(db, published));
      return;
    }
    const retried = await withDatabaseRetry('recording a failed attempt', () =>
      inTransaction(db, async (client) => {
        const rows = await scheduleRetry(client, { instanceId, maxAttempts, failures: outcome.failures });
        await markPublished(client, published);
        return rows;
      }),
    );
    for (const row of retried.filter((row) => row.isDeadLettered)) {
      const failure = outcome.failures.find((candidate) => candidate.id === row.id);
      logger.error({ outboxId: row.id, eventId: failure?.event.eventId, chatId: failure?.event.chatId, attempts: row.attempts, error: failure?.error }, 'event dead-lettered; its chat waits for `dead-letters replay` or `discard`');
    }
  };

  const publishAndSettle = async (events: ClaimedEvent[]) => {
    const outcome = await publishBatch(options.publisher, events);
    const acknowledgedAt = Date.now();
    metrics.publishedTotal.add(outcome.published.length);
    for (const event of outcome.published) metrics.commitToPublishMs.record(acknowledgedAt - event.createdAtMs);
    for (const failure of outcome.failures) metrics.publishErrorsTotal.add(1, { reason: failure.isPermanent ? 'refused' : 'unavailable' });
    if (outcome.failures.length > 0) {
      logger.warn({ failedChats: outcome.failures.length, published: outcome.published.length, error: outcome.failures[0]!.error }, 'publishing failed; the affected chats back off');
    }
    try {
      await settle(outcome);
    } catch (error) {
      logger.error({ err: error, events: events.length }, 'could not record a batch before stopping; its events are published again after the lease expires');
    }
  };

  const run = async () => {
    const inFlight = new Set<Promise<void>>();
    let claimFailures = 0;
    let maxChats = options.batchSize;
    while (!stopping.signal.aborted) {
      let events: ClaimedEvent[];
      try {
        events = await claimBatch(db, { ...options, maxChats });
        maxChats = chatsToLookAt(events, options.batchSize);
        isDatabaseUp = true;
        claimFailures = 0;
      } catch (error) {
        isDatabaseUp = false;
        metrics.publishErrorsTotal.add(1, { reason: 'database' });
        logger.warn({ err: error, attempt: claimFailures }, 'claiming a batch failed; retrying');
        const delayMs = databaseRetryDelaysMs[Math.min(claimFailures++, databaseRetryDelaysMs.length - 1)];
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      if (events.length === 0) {
        // Our own batches hold chats with more events behind them: settle one, then look again.
        if (inFlight.size > 0) await Promise.race(inFlight);
        else await options.wakeUp.wait(stopping.signal);
        continue;
      }
      if (events.length === options.batchSize) options.wakeUp.nudge();
      const job: Promise<void> = publishAndSettle(events).finally(() => inFlight.delete(job));
      inFlight.add(job);
      if (inFlight.size >= batchesInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  };

  const running = Promise.all(Array.from({ length: workers }, () => run())).catch((error: unknown) =>
    logger.fatal({ err: error, error: describeError(error) }, 'relay loop crashed'),
  );
  return {
    get isDatabaseUp() {
      return isDatabaseUp;
    },
    async stop() {
      stopDeadline = Date.now() + settleGraceMs;
      stopping.abort();
      await running;
    },
  };
}

// How many chats the next claim locks: enough for a full batch at the last claim's events per
// chat, with room to spare. A backlog of long chats then locks a few chat rows per claim, not
// `batchSize` of them; chats with one event each get the full `batchSize`.
function chatsToLookAt(events: readonly ClaimedEvent[], batchSize: number): number {
  const chats = new Set(events.map((event) => event.chatId)).size;
  if (chats === 0) return batchSize;
  return Math.min(batchSize, Math.max(8, Math.ceil((2 * batchSize * chats) / events.length)));
}
