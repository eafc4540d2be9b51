import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus } from '../gen/grpc/health/v1/health_pb.ts';

/** A status that the server sets for a service (SERVICE_UNKNOWN and UNKNOWN are never set). */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/**
 * The serving status of the server ("") and of each of its services, as the gRPC health protocol
 * reports it. Once the port listens, `startDatabaseHealth` sets everything to SERVING while the
 * database answers and to NOT_SERVING while it does not; `main.ts` sets NOT_SERVING for good when
 * shutdown starts. Watch streams see every change.
 */
export type HealthStatus = {
  /** The status of a service, or undefined if the server does not know that name. */
  get(service: string): ServingStatus | undefined;
  /** Sets the status of one service, adding the name if it is new. */
  set(service: string, status: ServingStatus): void;
  /** Sets the status of every known service, "" included (e.g. NOT_SERVING on shutdown). */
  setAll(status: ServingStatus): void;
  /** Resolves at the next status change of any service, or when `signal` aborts. */
  nextChange(signal: AbortSignal): Promise<void>;
};

/**
 * Creates the health status for "" (the whole server) and the given fully qualified service names,
 * all NOT_SERVING until the server declares itself ready with `setAll('SERVING')`.
 */
export function createHealthStatus(serviceNames: readonly string[]): HealthStatus {
  const statuses = new Map<string, ServingStatus>(['', ...serviceNames].map((name) => [name, 'NOT_SERVING']));
  const waiters = new Set<() => void>();
  const set = (service: string, status: ServingStatus) => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    for (const wake of [...waiters]) wake();
  };
  return {
    get: (service) => statuses.get(service),
    set,
    setAll: (status) => {
      for (const service of statuses.keys()) set(service, status);
    },
    nextChange: (signal) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      }),
  };
}

/**
 * Registers `grpc.health.v1.Health`. Check answers the current status, or NOT_FOUND for an unknown
 * service name. Watch streams the current status (SERVICE_UNKNOWN for an unknown name), then every
 * change, until the client cancels or the server shuts down (both abort the handler's signal).
 */
export function registerHealthService(router: ConnectRouter, health: HealthStatus): void {
  router.service(Health, {
    check(request) {
      const status = health.get(request.service);
      if (status === undefined) throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      return { status: HealthCheckResponse_ServingStatus[status] };
    },
    async *watch(request, context) {
      let sent: HealthCheckResponse_ServingStatus | undefined;
      while (!context.signal.aborted) {
        const current = HealthCheckResponse_ServingStatus[health.get(request.service) ?? 'SERVICE_UNKNOWN'];
        // Compare before waiting, with no await in between, so no change is missed; changes made
        // while the client reads are coalesced into the latest status.
        if (current !== sent) {
          sent = current;
          yield { status: current };
        } else {
          await health.nextChange(context.signal);
        }
      }
    },
  });
}
