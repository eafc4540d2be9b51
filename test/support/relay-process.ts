import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, onTestFailed } from 'vitest';
import { kafkaBrokers } from './kafka.ts';

const projectRoot = path.resolve(import.meta.dirname, '../..');

const running = new Set<ChildProcess>();

// STYLE 3.7: a test that leaves a relay process running fails (and the process is killed).
afterEach(() => {
  const leftOver = [...running];
  for (const child of leftOver) child.kill('SIGKILL');
  running.clear();
  expect(leftOver.length, 'relay processes left running by the test').toBe(0);
});

/** The relay as its own process, as `npm run relay` runs it. */
export type RelayProcess = {
  readonly process: ChildProcess;
  /** Where its `/metrics` and `/ready` are served. */
  readonly metricsPort: number;
  /** Every line it printed (pino JSON on stdout, anything on stderr). */
  readonly output: string[];
  /** Sends `signal` and resolves with the exit code (null when killed by the signal). */
  kill(signal: NodeJS.Signals): Promise<number | null>;
};

/**
 * Starts `relay/main.ts` against `databaseUrl` and `topic` (shared test broker unless `env` says
 * otherwise) and resolves once it logged `relay started` (metrics endpoint listening).
 */
export async function startRelayProcess(options: { databaseUrl: string; topic: string; env?: Record<string, string> }): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['relay/main.ts'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DATABASE_URL: options.databaseUrl,
      KAFKA_BROKERS: kafkaBrokers(),
      AUDIT_TOPIC: options.topic,
      RELAY_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  // the last lines of each relay process explain most failures; shown only when the test failed
  onTestFailed(() => console.error(`relay process ${child.pid}, last lines:\n${output.slice(-40).join('\n')}`));
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  running.add(child);
  const exited = once(child, 'exit');
  void exited.then(() => running.delete(child));
  const metricsPort = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`relay exited with ${code} before it started:\n${output.join('\n')}`));
    child.once('exit', onExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const port = startedOnPort(line);
      if (port !== undefined) {
        child.off('exit', onExit);
        resolve(port);
      }
    });
  });
  return {
    process: child,
    metricsPort,
    output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}

function startedOnPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  const entry = JSON.parse(line) as { msg?: string; metricsPort?: number };
  return entry.msg === 'relay started' ? entry.metricsPort : undefined;
}
