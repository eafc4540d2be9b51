import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { testJwtSecret } from '../test/support/tokens.ts';
import { withDeadline } from './with-deadline.ts';

const projectRoot = path.resolve(import.meta.dirname, '..');
const startTimeoutMs = 30_000;

/** The service under measurement, running as its own process the way `npm start` runs it. */
export type BenchService = {
  readonly baseUrl: string;
  readonly pid: number;
  /** Resident set size (`VmRSS`) and its peak so far (`VmHWM`) of the service process, in bytes. */
  memory(): Promise<{ rssBytes: number; peakRssBytes: number }>;
  /** SIGTERM (graceful stop), then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
};

/**
 * Starts `src/main.ts` the way `npm start` does (tracing bootstrap preloaded; spans are made but
 * not exported, as no OTLP endpoint is set) against the bench database, with the openai provider
 * pointed at the stub, logging warnings only. The port is read from the welcome line the service
 * prints on stdout at every log level.
 */
export async function startBenchService(options: {
  databaseUrl: string;
  openaiBaseUrl: string;
  /** Extra node flags for the service, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes. */
  nodeArgs?: string[];
}): Promise<BenchService> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', './src/telemetry/tracing.ts', 'src/main.ts'], {
    cwd: projectRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/root',
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      DATABASE_URL: options.databaseUrl,
      MIGRATE_ON_START: 'false',
      AUTH_JWT_SECRET: testJwtSecret,
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: options.openaiBaseUrl,
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE: '5s',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const port = await withDeadline(
    new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`service exited with ${code} before listening:\n${output.join('\n')}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        output.push(line);
        const ready = /is ready on 127\.0\.0\.1:(\d+)/.exec(line);
        if (ready?.[1]) resolve(Number(ready[1]));
      });
    }),
    startTimeoutMs,
    'starting the service',
  );
  const pid = child.pid ?? 0;
  // A bench that dies on its deadline must not leave the service running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid,
    memory: () => readMemory(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killTimer);
      process.removeListener('exit', killOnExit);
    },
  };
}

async function readMemory(pid: number): Promise<{ rssBytes: number; peakRssBytes: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kibOf = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssBytes: kibOf('VmRSS') * 1024, peakRssBytes: kibOf('VmHWM') * 1024 };
}

