// First, so spans work even when started without `--import ./src/telemetry/tracing.ts`.
import { shutdownTracing } from './telemetry/tracing.ts';
import { Code, ConnectError } from '@connectrpc/connect';
import { createTokenVerifier } from './api/auth/token-verifier.ts';
import { startDatabaseHealth } from './api/database-health.ts';
import { createHealthStatus } from './api/health-service.ts';
import { startHttpServer } from './api/http-server.ts';
import { createNodeHandler } from './api/node-handler.ts';
import { interceptors, minichatServices, registerRoutes } from './api/routes.ts';
import { ConfigError, loadConfig, type Config } from './config/config.ts';
import { ensureDevSecret } from './config/dev-secret.ts';
import { relayEnvironment } from './config/relay-environment.ts';
import { createDatabaseProbe } from './db/database-probe.ts';
import { startEmbeddedDatabase } from './db/embedded-database.ts';
import { openOrm, runMigrations } from './db/orm.ts';
import { progressRefreshInterval } from './domain/turn.ts';
import { createProvider } from './llm/create-provider.ts';
import { loadModelCatalog, ModelCatalogError } from './llm/model-catalog.ts';
import { startRelayChild } from './relay-process.ts';
import { createLogger, logOpenTelemetryDiagnostics, type Logger } from './telemetry/logger.ts';
import { createServiceMetrics, startMetricsEndpoint } from './telemetry/metrics.ts';
import { startOrphanWatchdog } from './use-cases/orphan-watchdog.ts';
import { printWelcome } from './welcome.ts';

const systemPrompt = 'You are a helpful assistant in a chat. Answer the last user message.';
/** Health follows the database within ~2 s; a probe answer slower than 1 s counts as unreachable. */
const databaseProbeIntervalMs = 2_000;
const databaseProbeTimeoutMs = 1_000;

/** Composition root: config, database, routes, the one port, and a graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = exitOnConfigurationError(loadConfig);
  // Before anything starts: a bad catalog is a configuration error like any other.
  const catalog = exitOnConfigurationError(() =>
    loadModelCatalog({ path: config.llm.modelCatalogPath, provider: config.llm.provider, openaiModel: config.llm.openaiModel }),
  );
  const logger = createLogger({ level: config.logLevel, name: 'mini-chat' });
  logOpenTelemetryDiagnostics(logger);
  const database = config.databaseUrl
    ? { databaseUrl: config.databaseUrl, stop: async () => {} }
    : await startEmbeddedDatabase({ dataDir: config.dataDir });
  const orm = await openOrm({ databaseUrl: database.databaseUrl });
  if (config.migrateOnStart) logger.info({ applied: await runMigrations(orm) }, 'migrations up to date');

  const metricsEndpoint = await startMetricsEndpoint({ host: config.host, port: config.metricsPort });
  const metrics = createServiceMetrics(metricsEndpoint.meter);
  const health = createHealthStatus(minichatServices.map((service) => service.typeName));
  const shutdown = new AbortController();
  const handler = createNodeHandler({
    logger,
    routes: (router) =>
      registerRoutes(router, {
        orm,
        catalog,
        health,
        logger,
        metrics,
        provider: createProvider(config.llm),
        systemPrompt,
        maxMessageBytes: config.maxMessageBytes,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        stallTimeoutMs: config.clientStallTimeoutMs,
        progressRefreshMs: progressRefreshInterval(config.orphanTimeoutMs),
      }),
    interceptors: interceptors({ logger, metrics, verifyToken: createTokenVerifier(authOptions(config, logger)) }),
    shutdownSignal: shutdown.signal,
    readMaxBytes: 8 * 1024 * 1024, // fits a 5 MiB attachment even as Connect JSON (base64, ~6.7 MiB); see maxAttachmentBytes
  });
  const server = await startHttpServer({ host: config.host, port: config.port, handler });
  const watchdog = startOrphanWatchdog({ orm, logger, metrics, scanIntervalMs: config.orphanScanIntervalMs, orphanTimeoutMs: config.orphanTimeoutMs });
  // SERVING once the port listens and the database answers; NOT_SERVING while it does not.
  const databaseHealth = await startDatabaseHealth({
    probe: createDatabaseProbe(orm, { timeoutMs: databaseProbeTimeoutMs }),
    health,
    logger,
    intervalMs: databaseProbeIntervalMs,
  });
  // The outbox relay publishes the audit events to Kafka; it runs only where Kafka is configured.
  const relay = config.kafkaBrokers ? startRelayChild({ env: relayEnvironment(database.databaseUrl), logger }) : undefined;
  logger.info({ port: server.port, database: config.databaseUrl ? 'external' : 'embedded' }, 'mini-chat listening');
  printWelcome({ port: server.port, dataDir: config.dataDir, hasOwnKey: hasOwnKey(config) });

  let isStopping = false;
  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping: no new calls, finishing open ones');
    databaseHealth.stop();
    health.setAll('NOT_SERVING');
    const closed = server.close(config.shutdownGraceMs);
    // Long-lived streams (Health.Watch, and turn streams, which finalize as cancelled) end now;
    // unary calls already running finish within the grace period.
    shutdown.abort(new ConnectError('the server is shutting down; retry on another instance', Code.Unavailable));
    await closed;
    await watchdog.stop();
    await relay?.stop();
    await metricsEndpoint.shutdown();
    await orm.close();
    await database.stop();
    await shutdownTracing();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}

/** A bad environment variable or `MODEL_CATALOG` file: its message on stderr, exit code 2. */
function exitOnConfigurationError<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof ModelCatalogError)) throw error;
    process.stderr.write(`mini-chat: ${error.message}\n`);
    process.exit(2);
  }
}

function hasOwnKey(config: Config): boolean {
  return config.auth.jwtSecret !== undefined || config.auth.jwksUrl !== undefined;
}

function authOptions(config: Config, logger: Logger) {
  if (hasOwnKey(config)) return config.auth;
  const dev = ensureDevSecret(config.dataDir);
  logger.warn({ file: dev.filePath, created: dev.isNew }, 'no AUTH_JWT_SECRET or AUTH_JWKS_URL: using the development secret in DATA_DIR');
  return { ...config.auth, jwtSecret: dev.secret };
}

await main();
