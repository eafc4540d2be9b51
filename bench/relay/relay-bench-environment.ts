import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalKafka } from '../../scripts/kafka/local-kafka.ts';
import { startBenchDatabase } from '../bench-database.ts';

const projectRoot = path.resolve(import.meta.dirname, '../..');

/** PostgreSQL (migrated) and Kafka for the relay benchmarks. */
export type RelayBenchEnvironment = {
  readonly databaseUrl: string;
  readonly brokers: string;
  readonly kafka: Kafka;
  stop(): Promise<void>;
};

/**
 * A fresh migrated database (on `DATABASE_URL`'s server, or an embedded PostgreSQL) and Kafka
 * (`KAFKA_BROKERS`, or a local KRaft broker in a temporary folder), started together.
 */
export async function startRelayBenchEnvironment(options: { databaseAdminUrl?: string | undefined; brokers?: string | undefined }): Promise<RelayBenchEnvironment> {
  const kafkaDir = options.brokers ? undefined : await mkdtemp(path.join(tmpdir(), 'mini-chat-bench-kafka-'));
  const [database, broker] = await Promise.all([
    startBenchDatabase(options.databaseAdminUrl),
    kafkaDir ? startLocalKafka({ dataDir: kafkaDir }) : Promise.resolve({ brokers: options.brokers!, stop: async () => undefined }),
  ]);
  return {
    databaseUrl: database.databaseUrl,
    brokers: broker.brokers,
    kafka: new Kafka({ clientId: 'mini-chat-relay-bench', brokers: [broker.brokers], logLevel: logLevel.NOTHING }),
    async stop() {
      await database.stop();
      await broker.stop();
      if (kafkaDir) await rm(kafkaDir, { recursive: true, force: true });
    },
  };
}

/** The relay as its own process, as in production. */
export type BenchRelay = { readonly metricsPort: number; stop(): Promise<void> };

/** Starts `relay/main.ts` on `topic` and resolves once `/ready` answers 200. */
export async function startBenchRelay(env: RelayBenchEnvironment, topic: string, extraEnv: Record<string, string> = {}): Promise<BenchRelay> {
  const child: ChildProcess = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', 'relay/main.ts'], {
    cwd: projectRoot,
    env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.brokers, AUDIT_TOPIC: topic, RELAY_METRICS_PORT: '0', LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const metricsPort = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg?: string; metricsPort?: number; level?: number };
      if ((entry.level ?? 0) >= 40) process.stderr.write(`[relay] ${line}\n`);
      if (entry.msg === 'relay started' && entry.metricsPort !== undefined) resolve(entry.metricsPort);
    });
  });
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${metricsPort}/ready`).then((response) => response.status, () => 0);
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    metricsPort,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Creates a topic of `partitions` partitions (the relay's default, 6) and returns its name. */
export async function createBenchTopic(kafka: Kafka, name: string, partitions = 6): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return name;
}
