import pg from 'pg';
import { OUTBOX_NOTIFY_CHANNEL } from '../src/outbox/outbox-schema.ts';
import type { Logger } from './logger.ts';

/** When the relay should look at the outbox again. */
export type WakeUp = {
  /**
   * Resolves at the next NOTIFY of a commit (at once if one came since the last call), after
   * the poll interval at the latest, or when `signal` aborts.
   */
  wait(signal: AbortSignal): Promise<void>;
  /** Wakes the other waiting workers: one found a full batch, so there may be more work. */
  nudge(): void;
  /** True while the LISTEN connection is up. */
  readonly isListening: boolean;
  close(): Promise<void>;
};

const reconnectDelaysMs = [100, 250, 500, 1_000, 2_000, 5_000];

/**
 * LISTENs on the outbox channel with a connection of its own. Polling stays as the fallback: a
 * NOTIFY can be missed (connection lost, relay busy), and events that backed off become due
 * without any commit. A lost connection is re-established with backoff, and the first wait
 * after it returns at once, because notifications sent meanwhile are gone.
 */
export function listenForCommits(options: { databaseUrl: string; pollIntervalMs: number; logger: Logger }): WakeUp {
  let hasPendingWakeUp = true;
  const waiters = new Set<() => void>();
  let client: pg.Client | undefined;
  let isClosed = false;
  let attempt = 0;

  // A NOTIFY wakes every waiting worker; with none waiting it is kept for the next one.
  const notify = () => {
    if (waiters.size === 0) hasPendingWakeUp = true;
    for (const wake of [...waiters]) wake();
  };

  const connect = async () => {
    if (isClosed) return;
    const next = new pg.Client({ connectionString: options.databaseUrl, application_name: 'mini-chat-relay-listen', keepAlive: true });
    next.on('notification', notify);
    next.on('error', (error) => options.logger.warn({ err: error }, 'LISTEN connection failed; reconnecting'));
    next.once('end', () => {
      if (client === next) client = undefined;
      reconnectLater();
    });
    try {
      await next.connect();
      await next.query(`listen ${OUTBOX_NOTIFY_CHANNEL}`);
      if (isClosed) return void (await next.end());
      client = next;
      if (attempt > 0) options.logger.info({ attempts: attempt }, 'LISTEN connection re-established');
      attempt = 0;
      notify();
    } catch (error) {
      options.logger.warn({ err: error, attempt }, 'LISTEN connection could not be opened; polling meanwhile');
      await next.end().catch(() => undefined);
      reconnectLater();
    }
  };

  let reconnectTimer: NodeJS.Timeout | undefined;
  const reconnectLater = () => {
    if (isClosed || reconnectTimer !== undefined) return;
    const delayMs = reconnectDelaysMs[Math.min(attempt, reconnectDelaysMs.length - 1)]!;
    attempt += 1;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, delayMs);
  };

  void connect();

  return {
    async wait(signal) {
      if (hasPendingWakeUp || signal.aborted) {
        hasPendingWakeUp = false;
        return;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, options.pollIntervalMs);
        signal.addEventListener('abort', done, { once: true });
        waiters.add(done);
      });
    },
    nudge: notify,
    get isListening() {
      return client !== undefined;
    },
    async close() {
      isClosed = true;
      clearTimeout(reconnectTimer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
