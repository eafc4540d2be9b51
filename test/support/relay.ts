import { pino } from 'pino';
import { afterEach, expect, onTestFailed } from 'vitest';
import { loadRelayConfig, type RelayConfig } from '../../relay/config.ts';
import { startRelay, type Relay } from '../../relay/start-relay.ts';
import { eventually } from './eventually.ts';
import { kafkaBrokers } from './kafka.ts';

/** An in-process relay of a test, with the JSON lines it logged. */
export type TestRelay = Relay & { readonly config: RelayConfig; readonly logs: string[] };

const running = new Set<TestRelay>();

// STYLE 3.7: a test that leaves a relay running fails.
afterEach(async () => {
  const leftOver = [...running];
  await Promise.all(leftOver.map((relay) => relay.stop()));
  expect(leftOver.length, 'relays left running by the test').toBe(0);
});

/**
 * Starts the relay in this process against `databaseUrl` and `topic`, with the shared test
 * broker unless `env` names another. `env` takes the relay's variables (`RELAY_POLL_INTERVAL`, …);
 * the metrics endpoint gets a free port. Stop it in the test (or `afterEach` fails the test).
 */
export async function startTestRelay(options: { databaseUrl: string; topic: string; env?: Record<string, string> }): Promise<TestRelay> {
  const config = loadRelayConfig({
    DATABASE_URL: options.databaseUrl,
    KAFKA_BROKERS: kafkaBrokers(),
    AUDIT_TOPIC: options.topic,
    RELAY_METRICS_PORT: '0',
    RELAY_TOPIC_PARTITIONS: '3',
    ...options.env,
  });
  const logs: string[] = [];
  const logger = pino({ level: 'info', base: { instance: config.instanceId } }, { write: (line: string) => void logs.push(line) });
  // what the relay logged explains most failures; shown only when the test failed
  onTestFailed(() => console.error(`logs of relay ${config.instanceId}:\n${logs.join('')}`));
  const relay = await startRelay(config, logger);
  const testRelay: TestRelay = {
    config,
    logs,
    metricsPort: relay.metricsPort,
    async stop() {
      running.delete(testRelay);
      await relay.stop();
    },
  };
  running.add(testRelay);
  return testRelay;
}

/** The relay's Prometheus text, for assertions on metric lines. */
export async function scrapeMetrics(relay: Relay): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${relay.metricsPort}/metrics`);
  return response.text();
}

/** Waits until the relay's `/ready` answers 200: database reachable, producer connected, topic created. */
export async function waitUntilReady(relay: Relay, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const response = await fetch(`http://127.0.0.1:${relay.metricsPort}/ready`);
      expect(response.status).toBe(200);
    },
    { timeoutMs, intervalMs: 100 },
  );
}
