import { loadDeadLettersConfig, loadRelayConfig, RelayConfigError } from './config.ts';
import { runDeadLettersCommand } from './dead-letters-cli.ts';
import { createRelayLogger } from './logger.ts';
import { startRelay } from './start-relay.ts';

// Entry point of `npm run relay`: the outbox relay, or `npm run relay -- dead-letters …`.
// Exit codes: 0 after a graceful stop, 2 on bad configuration or usage, 1 on anything unexpected.

async function main(args: readonly string[]): Promise<void> {
  if (args[0] === 'dead-letters') {
    const config = loadConfigOrExit(() => loadDeadLettersConfig());
    process.exitCode = await runDeadLettersCommand(config, args.slice(1));
    return;
  }
  if (args.length > 0) {
    process.stderr.write('usage: npm run relay [-- dead-letters list|replay <id>|discard <id>]\n');
    process.exit(2);
  }
  const config = loadConfigOrExit(() => loadRelayConfig());
  const logger = createRelayLogger({ level: config.logLevel, instanceId: config.instanceId });
  const relay = await startRelay(config, logger);
  // SIGTERM and SIGINT: finish the batches in flight, record them, close, exit 0. A second
  // signal during the stop is ignored; SIGKILL remains for the impatient (nothing is lost).
  let isStopping = false;
  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'stopping: finishing the batches in flight');
    await relay.stop();
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}

function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof RelayConfigError)) throw error;
    process.stderr.write(`mini-chat-relay: ${error.message}\n`);
    process.exit(2);
  }
}

await main(process.argv.slice(2));
