import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createTokenVerifier } from '../../src/api/auth/token-verifier.ts';
import { createHealthStatus } from '../../src/api/health-service.ts';
import { startHttpServer } from '../../src/api/http-server.ts';
import { createNodeHandler } from '../../src/api/node-handler.ts';
import { interceptors, minichatServices, registerRoutes } from '../../src/api/routes.ts';
import { ChatService } from '../../src/gen/minichat/v1/chat_service_pb.ts';
import { TurnService } from '../../src/gen/minichat/v1/turn_service_pb.ts';
import { createProvider } from '../../src/llm/create-provider.ts';
import { loadModelCatalog } from '../../src/llm/model-catalog.ts';
import { createLogger, type Logger } from '../../src/telemetry/logger.ts';
import { createServiceMetrics, startMetricsEndpoint, type ServiceMetrics } from '../../src/telemetry/metrics.ts';
import { testJwtSecret } from './tokens.ts';

export type InProcessService = {
  readonly chats: Client<typeof ChatService>;
  readonly turns: Client<typeof TurnService>;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  stop(): Promise<void>;
};

/**
 * The service's real routes and interceptors, wired as `main.ts` wires them, served by the same
 * Node handler and HTTP server on a loopback port of this process (so calls go through Connect's
 * own writer loop, as in production) and called over gRPC. Against the given database, with the
 * openai provider pointed at `openaiBaseUrl` (the OpenAI stub) and the test JWT secret. Tests in
 * this process can then read what the service recorded in-process (e.g. spans).
 */
export async function startInProcessService(options: { orm: MikroORM; openaiBaseUrl: string }): Promise<InProcessService> {
  const logger = createLogger({ level: 'silent', name: 'mini-chat-test' });
  const metricsEndpoint = await startMetricsEndpoint({ host: '127.0.0.1', port: 0 });
  const metrics = createServiceMetrics(metricsEndpoint.meter);
  const handler = createNodeHandler({
    logger,
    routes: (router) =>
      registerRoutes(router, {
        orm: options.orm,
        catalog: loadModelCatalog({ provider: 'openai', openaiModel: 'gpt-4o-mini' }),
        health: createHealthStatus(minichatServices.map((service) => service.typeName)),
        logger,
        metrics,
        provider: createProvider({ provider: 'openai', openaiBaseUrl: options.openaiBaseUrl, providerIdleTimeoutMs: 10_000, echoWordDelayMs: 0 }),
        systemPrompt: 'You are a test assistant.',
        maxMessageBytes: 64 * 1024,
        heartbeatIntervalMs: 15_000,
        stallTimeoutMs: 30_000,
        progressRefreshMs: 10_000,
      }),
    interceptors: interceptors({ logger, metrics, verifyToken: createTokenVerifier({ jwtSecret: testJwtSecret }) }),
  });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, handler });
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` });
  return {
    chats: createClient(ChatService, transport),
    turns: createClient(TurnService, transport),
    logger,
    metrics,
    async stop() {
      await server.close(1_000);
      await metricsEndpoint.shutdown();
    },
  };
}
