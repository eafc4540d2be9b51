import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../telemetry/logger.ts';
import { failOrphanedTurns } from './fail-orphaned-turns.ts';

/**
 * Runs `failOrphanedTurns` every `scanIntervalMs` until stopped. Scans never overlap; a failed scan
 * is logged and the next one runs as planned (the database may be briefly unreachable).
 */
export function startOrphanWatchdog(options: { orm: MikroORM; logger: Logger; scanIntervalMs: number; orphanTimeoutMs: number }): { stop(): Promise<void> } {
  let current: Promise<void> = Promise.resolve();
  const scan = async () => {
    try {
      const failed = await failOrphanedTurns(options.orm, { orphanTimeoutMs: options.orphanTimeoutMs });
      if (failed > 0) options.logger.warn({ failed }, 'orphan watchdog failed stale running turns');
    } catch (error) {
      options.logger.error({ err: error }, 'orphan watchdog scan failed');
    }
  };
  const timer = setInterval(() => {
    current = current.then(scan);
  }, options.scanIntervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
