import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Logger } from './telemetry/logger.ts';

const relayMain = fileURLToPath(new URL('../relay/main.ts', import.meta.url));
/** After SIGTERM, how long the relay may take to finish its batches before it is killed. */
const stopGraceMs = 15_000;
/** Wait before restarting a relay that died, so a crash loop does not spin. */
const restartDelayMs = 2_000;
/** The relay's exit code for bad configuration: restarting cannot help. */
const badConfigurationExitCode = 2;

/**
 * Runs the outbox relay (`relay/main.ts`, the program of `npm run relay`) as a child process of
 * the service, sharing its stdout and stderr. A relay that dies is started again, unless it
 * refused its configuration or was stopped by a signal (exit 0). `stop()` sends SIGTERM, so the relay finishes its batches in flight,
 * and resolves once it exited.
 */
export function startRelayChild(options: { env: Record<string, string | undefined>; logger: Logger }): { stop(): Promise<void> } {
  let child: ChildProcess | undefined;
  let isStopping = false;
  let restartTimer: NodeJS.Timeout | undefined;

  const start = () => {
    // as `npm run relay` runs it (the warning is kafkajs's, harmless: docs/kafka.md)
    const started = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', relayMain], { env: options.env, stdio: ['ignore', 'inherit', 'inherit'] });
    child = started;
    options.logger.info({ pid: started.pid }, 'outbox relay started as a child process');
    started.once('exit', (code, signal) => {
      child = undefined;
      if (isStopping) return;
      // 0: it was stopped with SIGTERM/SIGINT (Ctrl-C reaches the whole process group)
      if (code === 0) return;
      if (code === badConfigurationExitCode) {
        options.logger.error({ code }, 'the outbox relay refused its configuration (see its message above); audit events are not published');
        return;
      }
      options.logger.error({ code, signal }, 'the outbox relay stopped unexpectedly; restarting it');
      restartTimer = setTimeout(start, restartDelayMs);
    });
  };
  start();

  return {
    async stop() {
      isStopping = true;
      clearTimeout(restartTimer);
      const running = child;
      if (running === undefined || running.exitCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGTERM');
      const killTimer = setTimeout(() => running.kill('SIGKILL'), stopGraceMs);
      await exited;
      clearTimeout(killTimer);
    },
  };
}
