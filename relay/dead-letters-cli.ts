import pg from 'pg';
import type { DeadLettersConfig } from './config.ts';
import { discardDeadLetter } from './sql/discard-dead-letter.ts';
import { listDeadLetters } from './sql/list-dead-letters.ts';
import { replayDeadLetter } from './sql/replay-dead-letter.ts';

const usage = 'usage: npm run relay -- dead-letters list | replay <id> | discard <id>   (<id>: outbox id or event id)';

/**
 * `npm run relay -- dead-letters …`: `list` prints each unhandled dead letter as a JSON line;
 * `replay <id>` publishes it again (its chat resumes after it); `discard <id>` marks it handled
 * without publishing (its chat resumes with the next event). Returns the exit code: 0 done,
 * 1 no such dead letter, 2 bad usage.
 */
export async function runDeadLettersCommand(config: DeadLettersConfig, args: readonly string[]): Promise<number> {
  const [command, id, ...extra] = args;
  const needsId = command === 'replay' || command === 'discard';
  if (!(command === 'list' || needsId) || (needsId && id === undefined) || (!needsId && id !== undefined) || extra.length > 0) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const client = new pg.Client({ connectionString: config.databaseUrl, application_name: 'mini-chat-relay-cli' });
  await client.connect();
  try {
    if (command === 'list') {
      for (const deadLetter of await listDeadLetters(client)) process.stdout.write(`${JSON.stringify(deadLetter)}\n`);
      return 0;
    }
    const isDone = command === 'replay' ? await replayDeadLetter(client, id!) : await discardDeadLetter(client, id!);
    if (!isDone) {
      process.stderr.write(`no unhandled dead letter with id ${id}\n`);
      return 1;
    }
    process.stdout.write(command === 'replay' ? `replayed ${id}: it is published next, then its chat's later events\n` : `discarded ${id}: its chat goes on with the next event\n`);
    return 0;
  } finally {
    await client.end();
  }
}
