import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { log4jProperties, newClusterId, readBrokerPorts, serverProperties, type BrokerPorts } from './broker-config.ts';
import { ensureKafkaJars } from './kafka-jars.ts';

/** Options of {@link startLocalKafka}. */
export type LocalKafkaOptions = {
  /** Holds config, KRaft storage, `server.log` and `kafka.pid`; reused as is by a later start. */
  readonly dataDir: string;
  /** Client port; default: the one of the previous start in `dataDir`, else a free one. */
  readonly port?: number;
  /** Broker jars; default: {@link ensureKafkaJars} (fetched once into `.cache/kafka`). */
  readonly libsDir?: string;
  /** Let the broker outlive this process (the CLI's `start`); tests leave it attached. */
  readonly detached?: boolean;
  /** Give up (and kill the broker) when it accepts no admin request by then. */
  readonly startTimeoutMs?: number;
};

/** A running single-node KRaft broker. */
export type LocalKafka = {
  /** The `KAFKA_BROKERS` value: `127.0.0.1:<port>`. */
  readonly brokers: string;
  readonly port: number;
  readonly pid: number;
  /** The broker's own log, for failure messages. */
  readonly logFile: string;
  /** SIGTERM (a clean shutdown), SIGKILL if still running after 30 s; the data dir stays. */
  stop(): Promise<void>;
};

const JVM_OPTIONS = [
  // 2-core machines: a small heap, the serial collector and C1 only keep the broker from
  // competing with the tests for CPU; its load in tests is a few hundred records
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
];
const STOP_TIMEOUT_MS = 30_000;

/**
 * Starts Apache Kafka in KRaft mode (one node, broker and controller) from the Maven jars as a
 * child `java` process, formatting the storage on first use, and resolves once an admin client
 * gets an answer. Calling it again on a stopped broker's `dataDir` restarts it with its topics,
 * records and offsets, on the same port.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  const libsDir = options.libsDir ?? (await ensureKafkaJars());
  const dataDir = path.resolve(options.dataDir);
  const files = dataDirFiles(dataDir);
  await mkdir(dataDir, { recursive: true });
  const ports = await choosePorts(files.serverProperties, options.port);
  await writeFile(files.serverProperties, serverProperties({ ports, logDir: files.storage }));
  await writeFile(files.log4jProperties, log4jProperties(files.logFile));
  await formatStorageOnce({ libsDir, files });
  const child = await spawnJava({ libsDir, files, detached: options.detached === true, args: ['kafka.Kafka', files.serverProperties] });
  const pid = child.pid!;
  await writeFile(files.pidFile, `${pid}\n`);
  const brokers = `127.0.0.1:${ports.port}`;
  const exited = once(child, 'exit').then(() => undefined);
  // an attached broker must not outlive a test run that crashed or called process.exit()
  const killWithThisProcess = () => child.kill('SIGKILL');
  if (options.detached !== true) process.once('exit', killWithThisProcess);
  try {
    await waitUntilReady({ brokers, exited, timeoutMs: options.startTimeoutMs ?? 60_000 });
  } catch (error) {
    process.off('exit', killWithThisProcess);
    child.kill('SIGKILL');
    await exited;
    await rm(files.pidFile, { force: true });
    throw new Error(`Kafka did not start on ${brokers}: ${(error as Error).message}\n${await logTail(files)}`, { cause: error });
  }
  if (options.detached === true) child.unref();
  return {
    brokers,
    port: ports.port,
    pid,
    logFile: files.logFile,
    stop: async () => {
      process.off('exit', killWithThisProcess);
      if (child.exitCode === null && child.signalCode === null) await terminate(child, exited);
      await rm(files.pidFile, { force: true });
    },
  };
}

/** The files a broker keeps in its data dir. */
export function dataDirFiles(dataDir: string) {
  return {
    serverProperties: path.join(dataDir, 'server.properties'),
    log4jProperties: path.join(dataDir, 'log4j2.properties'),
    storage: path.join(dataDir, 'kraft'),
    logFile: path.join(dataDir, 'server.log'),
    jvmOutput: path.join(dataDir, 'jvm.out'),
    pidFile: path.join(dataDir, 'kafka.pid'),
  };
}
type DataDirFiles = ReturnType<typeof dataDirFiles>;

/** The ports of the broker last started in `dataDir`, if any. */
export async function readDataDirPorts(dataDir: string): Promise<BrokerPorts | undefined> {
  const properties = await readFile(dataDirFiles(dataDir).serverProperties, 'utf8').catch(() => '');
  return readBrokerPorts(properties);
}

async function choosePorts(serverPropertiesFile: string, port: number | undefined): Promise<BrokerPorts> {
  const previous = readBrokerPorts(await readFile(serverPropertiesFile, 'utf8').catch(() => ''));
  return {
    port: port ?? previous?.port ?? (await freePort()),
    controllerPort: previous?.controllerPort ?? (await freePort()),
  };
}

async function formatStorageOnce(options: { libsDir: string; files: DataDirFiles }): Promise<void> {
  const { files } = options;
  const isFormatted = await readFile(path.join(files.storage, 'meta.properties')).then(() => true, () => false);
  if (isFormatted) return;
  const clusterId = newClusterId(randomBytes);
  const args = ['kafka.tools.StorageTool', 'format', '--cluster-id', clusterId, '--config', files.serverProperties];
  const child = await spawnJava({ libsDir: options.libsDir, files, detached: false, args });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`formatting the KRaft storage in ${files.storage} failed (exit ${code})\n${await logTail(files)}`);
}

/** `java` with the broker jars, stdout and stderr appended to `jvm.out` (the JVM's own failures). */
async function spawnJava(options: { libsDir: string; files: DataDirFiles; detached: boolean; args: string[] }): Promise<ChildProcess> {
  const { files } = options;
  const output = await open(files.jvmOutput, 'a');
  try {
    const child = spawn(
      'java',
      [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${files.log4jProperties}`, '-cp', path.join(options.libsDir, '*'), ...options.args],
      { stdio: ['ignore', output.fd, output.fd], detached: options.detached },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error('cannot run java (Java 17+ must be on the PATH to run Kafka)', { cause: error })));
    });
    return child;
  } finally {
    await output.close();
  }
}

async function waitUntilReady(options: { brokers: string; exited: Promise<void>; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let hasExited = false;
  void options.exited.then(() => (hasExited = true));
  while (!(await answersAdminRequests(options.brokers))) {
    if (hasExited) throw new Error('the broker process exited');
    if (Date.now() > deadline) throw new Error(`no admin answer within ${options.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** True once the broker is registered with its controller, so topics can be created. */
async function answersAdminRequests(brokers: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'local-kafka-readiness',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    // refused connection or a broker still starting: not ready yet, the caller polls again
    return false;
  } finally {
    await admin.disconnect();
  }
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function logTail(files: DataDirFiles): Promise<string> {
  const tail = async (file: string, lines: number) =>
    (await readFile(file, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-lines).join('\n');
  return `--- ${files.jvmOutput}\n${await tail(files.jvmOutput, 20)}\n--- ${files.logFile}\n${await tail(files.logFile, 20)}`;
}
