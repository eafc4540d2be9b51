import { describe, expect, it } from 'vitest';
import { loadDeadLettersConfig, loadRelayConfig, RelayConfigError } from '../../../relay/config.ts';

const required = { DATABASE_URL: 'postgres://relay@db:5432/minichat', KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092' };

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof RelayConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('relay configuration', () => {
  it('applies the defaults of the spec and the README', () => {
    const config = loadRelayConfig({ ...required, RELAY_INSTANCE_ID: 'relay-1' });

    expect(config).toEqual({
      databaseUrl: required.DATABASE_URL,
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9092'],
      auditTopic: 'mini-chat.audit',
      batchSize: 500,
      pollIntervalMs: 1_000,
      maxAttempts: 10,
      retentionMs: 24 * 3_600_000,
      leaseMs: 30_000,
      topicPartitions: 6,
      metricsPort: 9465,
      instanceId: 'relay-1',
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads durations with their unit', () => {
    const config = loadRelayConfig({ ...required, RELAY_POLL_INTERVAL: '250ms', RELAY_RETENTION: '7d', RELAY_LEASE: '1.5m' });

    expect([config.pollIntervalMs, config.retentionMs, config.leaseMs]).toEqual([250, 7 * 86_400_000, 90_000]);
  });

  it('gives every process an instance id of its own unless one is set', () => {
    expect(loadRelayConfig(required).instanceId).not.toBe(loadRelayConfig(required).instanceId);
  });

  it('lists every bad variable at once, each with the form it expects', () => {
    const problems = problemsOf(() =>
      loadRelayConfig({ DATABASE_URL: 'mysql://db', RELAY_BATCH_SIZE: '0', RELAY_POLL_INTERVAL: '5', RELAY_MAX_ATTEMPTS: 'ten', RELAY_METRICS_PORT: '70000' }),
    );

    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'DATABASE_URL', 'KAFKA_BROKERS', 'RELAY_BATCH_SIZE', 'RELAY_POLL_INTERVAL', 'RELAY_MAX_ATTEMPTS', 'RELAY_METRICS_PORT',
    ]);
    expect(problems.join('\n')).toMatch(/RELAY_POLL_INTERVAL: expected a positive duration with a unit/);
  });

  it('refuses a broker list that is not host:port', () => {
    expect(problemsOf(() => loadRelayConfig({ ...required, KAFKA_BROKERS: 'kafka-1' }))).toEqual([expect.stringMatching(/^KAFKA_BROKERS/)]);
  });

  it('treats an empty variable as unset', () => {
    expect(loadRelayConfig({ ...required, RELAY_BATCH_SIZE: '', AUDIT_TOPIC: ' ' }).batchSize).toBe(500);
  });

  it('needs only DATABASE_URL for the dead-letters commands', () => {
    expect(loadDeadLettersConfig({ DATABASE_URL: required.DATABASE_URL })).toEqual({ databaseUrl: required.DATABASE_URL });
    expect(problemsOf(() => loadDeadLettersConfig({}))).toEqual([expect.stringMatching(/^DATABASE_URL: required/)]);
  });
});
