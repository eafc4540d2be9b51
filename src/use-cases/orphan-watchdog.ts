import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../telemetry/logger.ts';
import type { ServiceMetrics } from '../telemetry/metrics.ts';
import { inSpan, markFailed } from '../telemetry/spans.ts';
import { failOrphanedTurns } from './fail-orphaned-turns.ts';

/** The watchdog's database, logger and instruments, and its `ORPHAN_SCAN_INTERVAL` / `ORPHAN_TIMEOUT`. */
export type OrphanWatchdogOptions = {
  readonly orm: MikroORM;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly scanIntervalMs: number;
  readonly orphanTimeoutMs: number;
};

/**
 * Runs `failOrphanedTurns` every `scanIntervalMs` until stopped. Scans never overlap; a failed scan
 * is logged and the next one runs as planned (the database may be briefly unreachable). Each scan
 * is a root span, `orphan_watchdog.scan`, whose trace id the `turn_failed` events it writes carry;
 * the turns it fails count in `mini_chat_orphans_finalized_total`.
 */
export function startOrphanWatchdog(options: OrphanWatchdogOptions): { stop(): Promise<void> } {
  let current: Promise<void> = Promise.resolve();
  const scan = () =>
    inSpan('orphan_watchdog.scan', { 'minichat.orphan_timeout_ms': options.orphanTimeoutMs }, async (span) => {
      try {
        const failed = await failOrphanedTurns(options.orm, { orphanTimeoutMs: options.orphanTimeoutMs });
        span.setAttribute('minichat.orphans_failed', failed);
        options.metrics.orphansFinalizedTotal.add(failed);
        if (failed > 0) options.logger.warn({ failed }, 'orphan watchdog failed stale running turns');
      } catch (error) {
        // Logged inside the span, so the line carries the scan's trace id; the next scan runs as planned.
        markFailed(span, error);
        options.logger.error({ err: error }, 'orphan watchdog scan failed');
      }
    });
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
