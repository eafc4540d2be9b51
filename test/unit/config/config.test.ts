import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.ts';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 50051,
      metricsPort: 9464,
      dataDir: '.data',
      migrateOnStart: true,
      maxMessageBytes: 65_536,
      heartbeatIntervalMs: 15_000,
      orphanTimeoutMs: 300_000,
      orphanScanIntervalMs: 60_000,
      auditTopic: 'mini-chat.audit',
      llm: { provider: 'echo', openaiModel: 'gpt-4o-mini', providerIdleTimeoutMs: 60_000 },
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('parses durations and sizes with their units', () => {
    const config = loadConfig({ HEARTBEAT_INTERVAL: '500ms', ORPHAN_TIMEOUT: '5m', MAX_MESSAGE_BYTES: '1MiB', SHUTDOWN_GRACE: '2s' });
    expect(config).toMatchObject({ heartbeatIntervalMs: 500, orphanTimeoutMs: 300_000, maxMessageBytes: 1_048_576, shutdownGraceMs: 2_000 });
  });

  it('splits KAFKA_BROKERS on commas', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'a:9092, b:9092' }).kafkaBrokers).toEqual(['a:9092', 'b:9092']);
  });

  it('reports every bad variable at once, each named with the form it expects', () => {
    const problems = problemsOf({ PORT: '99999', ORPHAN_TIMEOUT: '300', MAX_MESSAGE_BYTES: 'big', DATABASE_URL: 'mysql://x', AUTH_JWT_SECRET: 'short' });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/^PORT: expected a TCP port/m);
    expect(problems.join('\n')).toMatch(/^ORPHAN_TIMEOUT: expected a positive duration with a unit/m);
    expect(problems.join('\n')).toMatch(/^MAX_MESSAGE_BYTES: expected a positive size/m);
    expect(problems.join('\n')).toMatch(/^DATABASE_URL: expected a postgres/m);
    expect(problems.join('\n')).toMatch(/^AUTH_JWT_SECRET: expected at least 32 bytes/m);
  });

  it('refuses production without a signing key', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^AUTH_JWT_SECRET or AUTH_JWKS_URL: required/)]);
  });

  it('refuses the openai provider with neither an API key nor a base URL', () => {
    expect(problemsOf({ LLM_PROVIDER: 'openai' })).toEqual([expect.stringMatching(/^OPENAI_API_KEY: required/)]);
  });
});
