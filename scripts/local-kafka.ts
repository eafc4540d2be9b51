// A local Apache Kafka broker for development, without Docker:
//   npm run kafka -- start [--port N] [--data-dir DIR]   prints KAFKA_BROKERS=127.0.0.1:PORT
//   npm run kafka -- status [--data-dir DIR]             exit 0 when running, 3 when not
//   npm run kafka -- stop [--data-dir DIR]
//   npm run kafka -- fetch                               only fetch the broker jars (mvn)
// The broker keeps running after `start` returns; its data, config and log (server.log) live in
// the data dir (default .data/kafka), so `stop` then `start` keeps topics and records.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureKafkaJars, KAFKA_VERSION } from './kafka/kafka-jars.ts';
import { dataDirFiles, readDataDirPorts, startLocalKafka } from './kafka/local-kafka.ts';

const STOP_TIMEOUT_MS = 30_000;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { port: { type: 'string' }, 'data-dir': { type: 'string', default: path.join('.data', 'kafka') } },
});
const dataDir = path.resolve(values['data-dir']);
const command = positionals[0];

if (command === 'start') await start();
else if (command === 'stop') await stop();
else if (command === 'status') await status();
else if (command === 'fetch') console.log(`Kafka ${KAFKA_VERSION} jars in ${await ensureKafkaJars()}`);
else {
  console.error('usage: npm run kafka -- start|stop|status|fetch [--port N] [--data-dir DIR]');
  process.exitCode = 2;
}

async function start(): Promise<void> {
  const running = await runningBroker();
  if (running !== undefined) {
    console.error(`Kafka is already running (pid ${running.pid}, data in ${dataDir})`);
    console.log(`KAFKA_BROKERS=${running.brokers}`);
    return;
  }
  const startedAt = Date.now();
  const kafka = await startLocalKafka({ dataDir, port: parsePort(values.port), detached: true });
  console.error(`Kafka ${KAFKA_VERSION} started in ${Date.now() - startedAt} ms (pid ${kafka.pid}, log ${kafka.logFile})`);
  console.log(`KAFKA_BROKERS=${kafka.brokers}`);
}

async function stop(): Promise<void> {
  const running = await runningBroker();
  if (running === undefined) {
    console.error(`Kafka is not running (data dir ${dataDir})`);
    return;
  }
  process.kill(running.pid, 'SIGTERM');
  if (!(await hasExitedWithin(running.pid, STOP_TIMEOUT_MS))) {
    console.error(`Kafka did not stop within ${STOP_TIMEOUT_MS} ms, killing it`);
    process.kill(running.pid, 'SIGKILL');
    await hasExitedWithin(running.pid, 5_000);
  }
  await rm(dataDirFiles(dataDir).pidFile, { force: true });
  console.error(`Kafka stopped (pid ${running.pid})`);
}

async function status(): Promise<void> {
  const running = await runningBroker();
  if (running === undefined) {
    console.error(`Kafka is not running (data dir ${dataDir})`);
    process.exitCode = 3;
    return;
  }
  console.error(`Kafka is running (pid ${running.pid}, data in ${dataDir})`);
  console.log(`KAFKA_BROKERS=${running.brokers}`);
}

/** The broker of the pid file, if that pid is still a Kafka broker started on this data dir. */
async function runningBroker(): Promise<{ pid: number; brokers: string } | undefined> {
  const files = dataDirFiles(dataDir);
  const pid = Number((await readFile(files.pidFile, 'utf8').catch(() => '')).trim());
  const ports = await readDataDirPorts(dataDir);
  if (!Number.isInteger(pid) || pid <= 0 || ports === undefined) return undefined;
  // a stale pid file may name a process that reused the pid: check it runs our server.properties
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!commandLine.split('\0').includes(files.serverProperties) || (await isZombie(pid))) return undefined;
  return { pid, brokers: `127.0.0.1:${ports.port}` };
}

/** Polls the pid until it is gone (or a zombie no one reaps, as in containers without an init). */
async function hasExitedWithin(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await readFile(`/proc/${pid}/stat`).then(() => true, () => false)) || (await isZombie(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function isZombie(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // the state is the first field after the parenthesised command name
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`--port must be a port number, got ${value}`);
  return port;
}
