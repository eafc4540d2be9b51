import { z } from 'zod';
import { parseDurationMs, parseSizeBytes } from './units.ts';

/**
 * The service's whole configuration, parsed once from the environment. This is the only module
 * of the service that reads `process.env`; everything else receives values as arguments.
 */
export type Config = Readonly<z.output<typeof configSchema>>;

/** Thrown by `loadConfig` with one line per bad variable, so an operator fixes them all at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

function duration(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx) => {
      const ms = parseDurationMs(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a positive duration with a unit such as 500ms, 15s, 5m or 24h (got '${text}')` });
        return z.NEVER;
      }
      return ms;
    });
}

function size(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx) => {
      const bytes = parseSizeBytes(text);
      if (bytes === undefined || bytes <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a positive size in bytes or with a unit such as 64KiB (got '${text}')` });
        return z.NEVER;
      }
      return bytes;
    });
}

function port(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx) => {
      const value = Number(text);
      if (!/^\d+$/.test(text) || value < 0 || value > 65_535) {
        ctx.addIssue({ code: 'custom', message: `expected a TCP port 0-65535 (got '${text}')` });
        return z.NEVER;
      }
      return value;
    });
}

function optionalTokenCount() {
  return optionalText.transform((text, ctx) => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a positive whole number of tokens (got '${text}')` });
      return z.NEVER;
    }
    return Number(text);
  });
}

function optionalUrl() {
  return optionalText.pipe(z.url({ message: 'expected an absolute URL such as https://host/path' }).optional());
}

const booleanText = z
  .enum(['true', 'false', '1', '0'], { message: "expected 'true' or 'false'" })
  .default('true')
  .transform((text) => text === 'true' || text === '1');

const configSchema = z
  .object({
    NODE_ENV: z.string().default('development'),
    HOST: z.string().default('0.0.0.0'),
    PORT: port('50051'),
    METRICS_PORT: port('9464'),
    DATABASE_URL: optionalText.pipe(
      z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL').optional(),
    ),
    DATA_DIR: z.string().default('.data'),
    MIGRATE_ON_START: booleanText,
    AUTH_JWT_SECRET: optionalText.pipe(
      z.string().refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'expected at least 32 bytes (HS256 key)').optional(),
    ),
    AUTH_JWKS_URL: optionalUrl(),
    AUTH_ISSUER: optionalText,
    AUTH_AUDIENCE: optionalText,
    LLM_PROVIDER: z.enum(['echo', 'openai'], { message: "expected 'echo' or 'openai'" }).default('echo'),
    OPENAI_BASE_URL: optionalUrl(),
    OPENAI_API_KEY: optionalText,
    OPENAI_MODEL: z.string().default('gpt-4o-mini'),
    PROVIDER_IDLE_TIMEOUT: duration('60s'),
    MODEL_CATALOG: optionalText,
    ECHO_WORD_DELAY: duration('20ms'),
    MAX_MESSAGE_BYTES: size('64KiB'),
    HEARTBEAT_INTERVAL: duration('15s'),
    CLIENT_STALL_TIMEOUT: duration('30s'),
    ORPHAN_TIMEOUT: duration('300s'),
    ORPHAN_SCAN_INTERVAL: duration('60s'),
    QUOTA_DAILY_TOKENS: optionalTokenCount(),
    QUOTA_MONTHLY_TOKENS: optionalTokenCount(),
    KAFKA_BROKERS: optionalText.transform((text) => text?.split(',').map((broker) => broker.trim()).filter(Boolean)),
    AUDIT_TOPIC: z.string().default('mini-chat.audit'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_GRACE: duration('10s'),
  })
  .transform((env) => ({
    isProduction: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    metricsPort: env.METRICS_PORT,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    migrateOnStart: env.MIGRATE_ON_START,
    auth: {
      jwtSecret: env.AUTH_JWT_SECRET,
      jwksUrl: env.AUTH_JWKS_URL,
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
    },
    llm: {
      provider: env.LLM_PROVIDER,
      openaiBaseUrl: env.OPENAI_BASE_URL,
      openaiApiKey: env.OPENAI_API_KEY,
      openaiModel: env.OPENAI_MODEL,
      providerIdleTimeoutMs: env.PROVIDER_IDLE_TIMEOUT,
      modelCatalogPath: env.MODEL_CATALOG,
      echoWordDelayMs: env.ECHO_WORD_DELAY,
    },
    maxMessageBytes: env.MAX_MESSAGE_BYTES,
    heartbeatIntervalMs: env.HEARTBEAT_INTERVAL,
    clientStallTimeoutMs: env.CLIENT_STALL_TIMEOUT,
    orphanTimeoutMs: env.ORPHAN_TIMEOUT,
    orphanScanIntervalMs: env.ORPHAN_SCAN_INTERVAL,
    quota: { dailyTokens: env.QUOTA_DAILY_TOKENS, monthlyTokens: env.QUOTA_MONTHLY_TOKENS },
    kafkaBrokers: env.KAFKA_BROKERS,
    auditTopic: env.AUDIT_TOPIC,
    logLevel: env.LOG_LEVEL,
    shutdownGraceMs: env.SHUTDOWN_GRACE,
  }));

/**
 * Parses and validates every variable of operations.md. Throws a `ConfigError` listing every
 * bad variable with the form it expects; never returns a half-valid config.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(parsed.data);
}

function crossFieldProblems(config: z.output<typeof configSchema>): string[] {
  const problems: string[] = [];
  const hasKey = config.auth.jwtSecret !== undefined || config.auth.jwksUrl !== undefined;
  if (config.isProduction && !hasKey) {
    problems.push('AUTH_JWT_SECRET or AUTH_JWKS_URL: required when NODE_ENV=production (no dev secret is made in production)');
  }
  if (config.llm.provider === 'openai' && config.llm.openaiBaseUrl === undefined && config.llm.openaiApiKey === undefined) {
    problems.push('OPENAI_API_KEY: required when LLM_PROVIDER=openai (or set OPENAI_BASE_URL for a local OpenAI-compatible server)');
  }
  return problems;
}
