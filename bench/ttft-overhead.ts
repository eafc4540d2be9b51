import { answer } from '../test/support/openai-stub-behaviours.ts';
import type { RecordedRequest } from '../test/support/openai-stub-server.ts';
import type { BenchEnvironment } from './bench-environment.ts';
import { startCpuWindow, type CpuWindow } from './cpu-window.ts';
import { pausedWithin, watchGcPauses, type GcPause } from './gc-pauses.ts';
import { completeDirectTimed, connectServiceClient, generateTimed, openChat, stubRecordOf, type StreamTiming } from './timed-streams.ts';

/** After the first token the stub sends more, one every 20 ms (50 tokens/s, a fast model). */
const pieceDelayMs = 20;

function piecesFor(streamForMs: number): string[] {
  return Array.from({ length: 1 + Math.ceil(streamForMs / pieceDelayMs) }, (_, index) => ` token${index}`);
}

/**
 * How a round's streams meet each other (the plan in run-benchmarks.ts says more). `single`: one
 * stream. `burst`: all start at once and their first tokens come while other turns are still
 * starting. `streaming`: the first tokens come after every stream has started.
 */
export type TtftShape = 'single' | 'burst' | 'streaming';

export type TtftOverhead = {
  /** `1 stream`, `50 streams burst`, `200 streams streaming`...: see the plan in run-benchmarks.ts. */
  readonly label: string;
  readonly shape: TtftShape;
  readonly concurrency: number;
  readonly firstPieceDelayMs: number;
  readonly streamForMs: number;
  /** Client's first delta minus the stub's first piece, reading the stub directly (ms). */
  readonly directMs: number[];
  /** The same, through the service over gRPC (ms). */
  readonly serviceMs: number[];
  /** Streams that ended without a first delta or without a matching stub record. */
  readonly failures: string[];
  /** Per service round: last minus first provider-request arrival at the stub (ms). */
  readonly arrivalSpreadMs: number[];
  /** Service streams whose first token was written before the last stream of their round reached the provider. */
  overlappedStarts: number;
  /** Per service round: how the service process and this one (stub + clients) used the CPU. */
  readonly serviceRoundCpu: CpuWindow[];
  /** Per round, the same for creating the round's chats (one small transaction each): a yardstick for a turn's CPU. */
  readonly createChatCpu: CpuWindow[];
  /** Measured service streams whose first token waited through a garbage-collection pause of this process (stub + clients). */
  benchGcDelayedFirstTokens: number;
  /** The longest pause of this process while a measured round's first tokens were on their way (ms). */
  benchGcLongestPauseMs: number;
};

/**
 * Time-to-first-token overhead at a given number of concurrent streams: per round, `concurrency`
 * streams read directly from the stub, then `concurrency` Generates through the service (each in
 * a new chat), all opened at once. Both stamps come from `performance.now()` of this process.
 * The stub sends the first token `firstPieceDelayMs` after a provider request arrives, so the
 * stream's own preflight (transaction, context assembly, provider call) is never counted, and then
 * keeps streaming for `streamForMs` before the answer ends and the turn is finalized.
 */
/**
 * Rounds run first at each shape and not counted. The first time `concurrency` streams run at once
 * the service opens database connections up to its pool size and compiles the code paths only
 * concurrency reaches; that start-up cost is measured nowhere else and would otherwise be most of a
 * 150-sample p99 (docs/benchmarks.md compares runs with and without it).
 */
const unmeasuredRounds = 1;

export async function measureTtftOverhead(
  env: BenchEnvironment,
  options: { label: string; shape: TtftShape; concurrency: number; rounds: number; firstPieceDelayMs: number; streamForMs: number },
): Promise<TtftOverhead> {
  env.stub.respondWith(answer(piecesFor(options.streamForMs), { firstPieceDelayMs: options.firstPieceDelayMs, pieceDelayMs }));
  const clients = await Promise.all(Array.from({ length: options.concurrency }, () => connectServiceClient(env.service.baseUrl)));
  const result: TtftOverhead = {
    label: options.label,
    shape: options.shape,
    concurrency: options.concurrency,
    firstPieceDelayMs: options.firstPieceDelayMs,
    streamForMs: options.streamForMs,
    directMs: [],
    serviceMs: [],
    failures: [],
    arrivalSpreadMs: [],
    overlappedStarts: 0,
    serviceRoundCpu: [],
    createChatCpu: [],
    benchGcDelayedFirstTokens: 0,
    benchGcLongestPauseMs: 0,
  };
  const benchGc = watchGcPauses();
  try {
    for (let round = 0; round < unmeasuredRounds + options.rounds; round += 1) {
      const isMeasured = round >= unmeasuredRounds;
      const direct = await Promise.all(clients.map(() => completeDirectTimed(env.direct)));
      if (isMeasured) collect(env, direct, result.directMs, result.failures);
      const chatCpu = await startCpuWindow(env.service.pid);
      const chatIds = await Promise.all(clients.map((client) => openChat(client)));
      const chatWindow = await chatCpu.end();
      const cpu = await startCpuWindow(env.service.pid);
      const served = await Promise.all(clients.map((client, index) => generateTimed(client, chatIds[index] ?? '')));
      const servedWindow = await cpu.end();
      if (!isMeasured) continue;
      result.createChatCpu.push(chatWindow);
      result.serviceRoundCpu.push(servedWindow);
      collect(env, served, result.serviceMs, result.failures);
      const records = served.map((timing) => stubRecordOf(env.stub, timing));
      noteBenchGc(served, records, benchGc.pauses, result);
      const arrivals = records.map((record) => record?.receivedAt ?? Number.NaN);
      result.arrivalSpreadMs.push(Math.max(...arrivals) - Math.min(...arrivals));
      result.overlappedStarts += records.filter((record) => (record?.firstPieceAt ?? Infinity) < Math.max(...arrivals)).length;
    }
  } finally {
    benchGc.stop();
    for (const client of clients) client.close();
  }
  return result;
}

/** Counts the round's first tokens that waited through a pause of this process, and keeps the longest pause among their waits. */
function noteBenchGc(served: StreamTiming[], records: Array<RecordedRequest | undefined>, pauses: readonly GcPause[], result: TtftOverhead): void {
  const firstPieces = records.map((record) => record?.firstPieceAt ?? Number.POSITIVE_INFINITY);
  const roundStart = Math.min(...firstPieces);
  const roundEnd = Math.max(...served.map((timing) => timing.firstDeltaAt ?? Number.NEGATIVE_INFINITY));
  for (const pause of pauses) if (pause.endMs > roundStart && pause.startMs < roundEnd) result.benchGcLongestPauseMs = Math.max(result.benchGcLongestPauseMs, pause.endMs - pause.startMs);
  served.forEach((timing, index) => {
    const from = firstPieces[index] ?? Number.POSITIVE_INFINITY;
    if (timing.firstDeltaAt !== undefined && pausedWithin(pauses, from, timing.firstDeltaAt) > 0) result.benchGcDelayedFirstTokens += 1;
  });
}

function collect(env: BenchEnvironment, timings: StreamTiming[], overheadsMs: number[], failures: string[]): void {
  for (const timing of timings) {
    const firstPieceAt = stubRecordOf(env.stub, timing)?.firstPieceAt;
    if (timing.firstDeltaAt === undefined || firstPieceAt === undefined) failures.push(`${timing.marker}: ${timing.end}`);
    else overheadsMs.push(timing.firstDeltaAt - firstPieceAt);
  }
}
