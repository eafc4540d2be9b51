import { readFile } from 'node:fs/promises';
import { TurnError } from '../../src/domain/errors.ts';
import type { SeededChat } from './seed-chats.ts';

/** One mutation transaction on a chat's latest turn: Delete or Retry, through the ORM or `pg`. */
export type Mutation = (chat: SeededChat) => Promise<unknown>;

/** What a batch of concurrent calls did. `outcomes` counts `ok` and every reason or error kind. */
export type CallStats = {
  readonly calls: number;
  /** Wall time of the measured sections only (setup between contention rounds excluded). */
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly outcomes: Record<string, number>;
  /** The first message of each kind of unexpected error (not a TurnError). */
  readonly unexpected: Record<string, string>;
  /** CPU time of this (bench) process per call: the client side of the path, ORM or `pg`. */
  readonly clientCpuMsPerCall: number;
  /** Share of the machine's CPU time that was busy (all processes, other people's included). */
  readonly machineBusy: number;
};

type Tally = { latenciesMs: number[]; outcomes: Record<string, number>; unexpected: Record<string, string> };

async function timedCall(tally: Tally, call: () => Promise<unknown>): Promise<void> {
  const startedAt = performance.now();
  let outcome = 'ok';
  try {
    await call();
  } catch (error) {
    outcome = classify(error);
    if (!(error instanceof TurnError)) tally.unexpected[outcome] ??= String(Reflect.get(Object(error), 'message') ?? error);
  }
  tally.latenciesMs.push(performance.now() - startedAt);
  tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1;
}

/** A TurnError's reason; anything else by its class name and SQLSTATE, e.g. `DeadlockException 40P01`. */
function classify(error: unknown): string {
  if (error instanceof TurnError) return error.reason;
  const code = Reflect.get(Object(error), 'code');
  const name = Reflect.get(Object(error), 'name');
  return `${typeof name === 'string' ? name : 'error'}${typeof code === 'string' ? ` ${code}` : ''}`;
}

/**
 * `callers` concurrent loops, each taking the next unused chat and mutating it, until `durationMs`
 * has passed or the chats run out: every call meets a fresh chat with one completed latest turn.
 */
export async function runOnDistinctChats(options: { mutate: Mutation; chats: readonly SeededChat[]; callers: number; durationMs: number }): Promise<CallStats> {
  const tally: Tally = { latenciesMs: [], outcomes: {}, unexpected: {} };
  const window = await startWindow();
  const endAt = performance.now() + options.durationMs;
  let next = 0;
  const caller = async () => {
    while (performance.now() < endAt && next < options.chats.length) {
      const chat = options.chats[next++];
      if (chat) await timedCall(tally, () => options.mutate(chat));
    }
  };
  await Promise.all(Array.from({ length: options.callers }, caller));
  return window.end(tally, 0);
}

/**
 * Contention: in each round every mutation in `callers` is called at once on the same chat's latest
 * turn; exactly one may win. Between rounds, outside the measured time, `nextRound` gives the chat a
 * completed latest turn again.
 */
export async function runOnOneChat(options: {
  callers: readonly Mutation[];
  chat: SeededChat;
  rounds: number;
  nextRound: (chat: SeededChat) => Promise<SeededChat>;
}): Promise<CallStats> {
  const tally: Tally = { latenciesMs: [], outcomes: {}, unexpected: {} };
  const window = await startWindow();
  let chat = options.chat;
  let setupMs = 0;
  for (let round = 0; round < options.rounds; round += 1) {
    const current = chat;
    await Promise.all(options.callers.map((mutate) => timedCall(tally, () => mutate(current))));
    const setupStartedAt = performance.now();
    chat = await options.nextRound(chat);
    setupMs += performance.now() - setupStartedAt;
  }
  return window.end(tally, setupMs);
}

async function startWindow() {
  const startedAt = performance.now();
  const cpuBefore = process.cpuUsage();
  const machineBefore = await readMachineTicks();
  return {
    async end(tally: Tally, excludedMs: number): Promise<CallStats> {
      const elapsedMs = performance.now() - startedAt - excludedMs;
      const cpu = process.cpuUsage(cpuBefore);
      const machineAfter = await readMachineTicks();
      const calls = tally.latenciesMs.length;
      return {
        ...tally,
        calls,
        elapsedMs,
        clientCpuMsPerCall: (cpu.user + cpu.system) / 1000 / Math.max(1, calls),
        machineBusy: 1 - (machineAfter.idle - machineBefore.idle) / Math.max(1, machineAfter.total - machineBefore.total),
      };
    },
  };
}

/** Jiffies of all CPUs from the first line of /proc/stat: total and idle (idle + iowait). */
async function readMachineTicks(): Promise<{ total: number; idle: number }> {
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { total, idle: (fields[3] ?? 0) + (fields[4] ?? 0) };
}
