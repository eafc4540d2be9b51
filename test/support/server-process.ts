import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { testJwtSecret } from './tokens.ts';

const projectRoot = path.resolve(import.meta.dirname, '../..');

export type ServerProcess = {
  readonly port: number;
  readonly baseUrl: string;
  readonly address: string;
  /** Where the process serves Prometheus `/metrics`. */
  readonly metricsUrl: string;
  readonly process: ChildProcess;
  /** Lines the server printed, for assertions on logs and for failure messages. */
  readonly output: string[];
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
};

/**
 * Starts `src/main.ts` as its own process, the way `npm start` does (with the tracing bootstrap
 * preloaded), on a free port against the given database, and resolves once it logged that it is
 * listening.
 */
export async function startServerProcess(options: { databaseUrl: string; env?: Record<string, string> }): Promise<ServerProcess> {
  const metricsPort = await findFreePort();
  const child = spawn(process.execPath, ['--import', './src/telemetry/tracing.ts', 'src/main.ts'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      AUTH_JWT_SECRET: testJwtSecret,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE: '5s',
      METRICS_PORT: String(metricsPort),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`server exited with ${code} before listening:\n${output.join('\n')}`));
    child.once('exit', onExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const port = listeningPort(line);
      if (port !== undefined) {
        child.off('exit', onExit);
        resolve(port);
      }
    });
  });
  return {
    port,
    address: `127.0.0.1:${port}`,
    baseUrl: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    process: child,
    output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

/** A loopback port that was free a moment ago (the kernel does not hand it out again at once). */
async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  const entry = JSON.parse(line) as { msg?: string; port?: number };
  return entry.msg === 'mini-chat listening' ? entry.port : undefined;
}
