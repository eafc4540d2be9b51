import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import type { MikroORM } from '@mikro-orm/postgresql';
import { file_google_rpc_error_details } from '../gen/google/rpc/error_details_pb.ts';
import { AttachmentService } from '../gen/minichat/v1/attachment_service_pb.ts';
import { ChatService } from '../gen/minichat/v1/chat_service_pb.ts';
import { TurnService } from '../gen/minichat/v1/turn_service_pb.ts';
import type { ModelCatalog } from '../llm/model-catalog.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { ServiceMetrics } from '../telemetry/metrics.ts';
import type { TokenVerifier } from './auth/token-verifier.ts';
import { registerAttachmentService } from './attachment-service.ts';
import { registerChatService } from './chat-service.ts';
import { registerHealthService, type HealthStatus } from './health-service.ts';
import { registerTurnService, type TurnServiceDeps } from './turn-service.ts';
import { authInterceptor } from './interceptors/auth-interceptor.ts';
import { errorMappingInterceptor } from './interceptors/error-mapping-interceptor.ts';
import { mutationMetricsInterceptor } from './interceptors/mutation-metrics-interceptor.ts';
import { telemetryInterceptor } from './interceptors/telemetry-interceptor.ts';
import { registerReflectionService } from './reflection-service.ts';

export type RouteDeps = TurnServiceDeps & {
  readonly orm: MikroORM;
  readonly catalog: ModelCatalog;
  readonly health: HealthStatus;
};

/** The services this port serves; reflection advertises exactly these plus health. */
export const minichatServices = [ChatService, TurnService, AttachmentService] as const;

/**
 * Interceptors, outermost first: telemetry opens the call's span (everything inside runs in it)
 * and sees the final status for the span and the access log; error mapping sees every failure
 * (including auth failures and failures in the middle of a stream); mutation metrics count
 * Retry/Edit/Delete outcomes, auth failures included; auth puts the caller into the context values.
 */
export function interceptors(deps: { logger: Logger; verifyToken: TokenVerifier; metrics: ServiceMetrics }): Interceptor[] {
  return [
    telemetryInterceptor(deps.logger),
    errorMappingInterceptor(deps.logger),
    mutationMetricsInterceptor(deps.metrics),
    authInterceptor(deps.verifyToken),
  ];
}

/**
 * Registers every service on the router.
 */
export function registerRoutes(router: ConnectRouter, deps: RouteDeps): void {
  registerChatService(router, deps);
  registerTurnService(router, deps);
  registerAttachmentService(router, deps);
  registerHealthService(router, deps.health);
  // Error details travel as `Any`: listing their file lets grpcurl decode ErrorInfo and BadRequest.
  registerReflectionService(router, [...minichatServices], [file_google_rpc_error_details]);
}
