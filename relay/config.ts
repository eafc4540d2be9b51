import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_AUDIT_TOPIC } from '../src/outbox/outbox-schema.ts';

/**
 * The relay's whole configuration, parsed once from the environment. This is the only module of
 * the relay that reads `process.env`; everything else receives values as arguments.
 */
export type RelayConfig = Readonly<z.output<typeof relaySchema>>;

/** What the `dead-letters` commands need: the database only. */
export type DeadLettersConfig = Readonly<z.output<typeof deadLettersSchema>>;

/** Thrown with one line per bad variable, so an operator fixes them all at once. */
export class RelayConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'RelayConfigError';
    this.problems = problems;
  }
}

const msPerUnit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The same duration syntax as the service's config (`500ms`, `15s`, `5m`, `24h`). */
function duration(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx) => {
      const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
      const ms = match ? Math.round(Number(match[1]) * msPerUnit[match[2] as keyof typeof msPerUnit]) : 0;
      if (ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a positive duration with a unit such as 500ms, 15s, 5m or 24h (got '${text}')` });
        return z.NEVER;
      }
      return ms;
    });
}

function wholeNumber(defaultValue: string, range: { min: number; max: number }) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx) => {
      const value = Number(text);
      if (!/^\d+$/.test(text.trim()) || value < range.min || value > range.max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${range.min} to ${range.max} (got '${text}')` });
        return z.NEVER;
      }
      return value;
    });
}

const databaseUrl = z
  .string({ message: 'required: the PostgreSQL of the outbox, postgres://…' })
  .trim()
  .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL');

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

const deadLettersSchema = z.object({ DATABASE_URL: databaseUrl }).transform((env) => ({ databaseUrl: env.DATABASE_URL }));

const relaySchema = z
  .object({
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: z
      .string({ message: 'required: comma-separated host:port of the Kafka brokers' })
      .transform((text) => text.split(',').map((broker) => broker.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1, 'expected at least one host:port')),
    AUDIT_TOPIC: z.string().trim().min(1).default(DEFAULT_AUDIT_TOPIC),
    RELAY_BATCH_SIZE: wholeNumber('500', { min: 1, max: 10_000 }),
    RELAY_POLL_INTERVAL: duration('1s'),
    RELAY_MAX_ATTEMPTS: wholeNumber('10', { min: 1, max: 1_000 }),
    RELAY_RETENTION: duration('24h'),
    RELAY_LEASE: duration('30s'),
    RELAY_TOPIC_PARTITIONS: wholeNumber('6', { min: 1, max: 10_000 }),
    RELAY_METRICS_PORT: wholeNumber('9465', { min: 0, max: 65_535 }),
    RELAY_INSTANCE_ID: z.string().trim().min(1).optional(),
    LOG_LEVEL: logLevel,
  })
  .transform((env) => ({
    databaseUrl: env.DATABASE_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    auditTopic: env.AUDIT_TOPIC,
    batchSize: env.RELAY_BATCH_SIZE,
    pollIntervalMs: env.RELAY_POLL_INTERVAL,
    maxAttempts: env.RELAY_MAX_ATTEMPTS,
    retentionMs: env.RELAY_RETENTION,
    leaseMs: env.RELAY_LEASE,
    topicPartitions: env.RELAY_TOPIC_PARTITIONS,
    metricsPort: env.RELAY_METRICS_PORT,
    // unique per process, so a restarted relay never mistakes its predecessor's leases for its own
    instanceId: env.RELAY_INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    logLevel: env.LOG_LEVEL,
  }));

/**
 * Parses and validates every relay variable (README, "The outbox relay"). Throws a
 * `RelayConfigError` listing every bad variable with the form it expects.
 */
export function loadRelayConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
  return parseOrThrow(relaySchema, env);
}

/** Parses what `npm run relay -- dead-letters …` needs: `DATABASE_URL`. */
export function loadDeadLettersConfig(env: Record<string, string | undefined> = process.env): DeadLettersConfig {
  return parseOrThrow(deadLettersSchema, env);
}

function parseOrThrow<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): Readonly<z.output<S>> {
  // an empty variable counts as unset, as in the service's config
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) throw new RelayConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  return Object.freeze(parsed.data);
}
