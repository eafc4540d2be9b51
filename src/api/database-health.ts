import type { Logger } from '../telemetry/logger.ts';
import type { HealthStatus, ServingStatus } from './health-service.ts';

/** What `startDatabaseHealth` probes, whose status it sets, and how often. */
export type DatabaseHealthOptions = {
  /** Resolves whether the database answered; never rejects (see `createDatabaseProbe`). */
  readonly probe: () => Promise<boolean>;
  readonly health: HealthStatus;
  readonly logger: Logger;
  /** Pause between the end of one probe and the start of the next. */
  readonly intervalMs: number;
};

/**
 * Keeps the gRPC health status in step with the database: every service (and "") is SERVING while
 * the probe succeeds and NOT_SERVING while it fails, so load balancers stop sending calls that
 * could only fail. Resolves after the first probe has set the status. `stop()` ends the probing;
 * the caller then owns the status (shutdown sets NOT_SERVING), and no late probe result changes it.
 */
export async function startDatabaseHealth(options: DatabaseHealthOptions): Promise<{ stop(): void }> {
  let isStopped = false;
  let timer: NodeJS.Timeout | undefined;
  let previous: ServingStatus | undefined;
  const probeOnce = async () => {
    const status: ServingStatus = (await options.probe()) ? 'SERVING' : 'NOT_SERVING';
    if (isStopped) return;
    if (status !== previous && (previous !== undefined || status === 'NOT_SERVING')) {
      if (status === 'SERVING') options.logger.info({ status }, 'database reachable again: serving');
      else options.logger.warn({ status }, 'database unreachable: not serving');
    }
    previous = status;
    options.health.setAll(status);
    timer = setTimeout(() => void probeOnce(), options.intervalMs);
    timer.unref();
  };
  await probeOnce();
  return {
    stop() {
      isStopped = true;
      clearTimeout(timer);
    },
  };
}
