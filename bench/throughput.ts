import { answer } from '../test/support/openai-stub-behaviours.ts';
import type { BenchEnvironment } from './bench-environment.ts';
import { startCpuWindow, type CpuWindow } from './cpu-window.ts';
import { completeDirectTimed, connectServiceClient, generateTimed, openChat, stubRecordOf, type StreamTiming } from './timed-streams.ts';

/**
 * A long answer: 20,000 pieces of 50 bytes (≈ 1 MB of text), sent as fast as the reader takes them.
 * Long enough that one scheduler preemption does not decide a round (100 kB took 20–50 ms).
 */
const pieceCount = 20_000;
const pieces = Array.from({ length: pieceCount }, (_, index) => `${String(index).padStart(6, '0')} ${'x'.repeat(43)}`);
const answerBytes = pieces.reduce((sum, piece) => sum + Buffer.byteLength(piece), 0);

export type Throughput = {
  readonly concurrency: number;
  /** Per round: answer bytes of all streams over the time from the stub's first piece to the last delta, reading the stub directly. */
  readonly directBytesPerSecond: number[];
  /** The same through the service over gRPC. */
  readonly serviceBytesPerSecond: number[];
  /** Per service round: the mean number of deltas a client received for one answer of `pieceCount` pieces. */
  readonly serviceDeltasPerAnswer: number[];
  /** Streams that did not deliver the whole answer. */
  readonly failures: string[];
  /** Per service round: how the service process and this one (stub + clients) used the CPU. */
  readonly serviceRoundCpu: CpuWindow[];
};

/**
 * Streaming throughput: per round, `concurrency` long answers read straight from the stub with the
 * `openai` SDK, then the same through the service. Preflight and finalization are outside the window.
 */
/** The stub's pieces per answer, for reading `serviceDeltasPerAnswer`. */
export const throughputPieceCount = pieceCount;

export async function measureThroughput(env: BenchEnvironment, options: { concurrency: number; rounds: number }): Promise<Throughput> {
  env.stub.respondWith(answer(pieces));
  const clients = await Promise.all(Array.from({ length: options.concurrency }, () => connectServiceClient(env.service.baseUrl)));
  const result: Throughput = { concurrency: options.concurrency, directBytesPerSecond: [], serviceBytesPerSecond: [], serviceDeltasPerAnswer: [], failures: [], serviceRoundCpu: [] };
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      const direct = await Promise.all(clients.map(() => completeDirectTimed(env.direct)));
      result.directBytesPerSecond.push(bytesPerSecond(env, direct, result.failures));
      const chatIds = await Promise.all(clients.map((client) => openChat(client)));
      const cpu = await startCpuWindow(env.service.pid);
      const served = await Promise.all(clients.map((client, index) => generateTimed(client, chatIds[index] ?? '')));
      result.serviceRoundCpu.push(await cpu.end());
      result.serviceBytesPerSecond.push(bytesPerSecond(env, served, result.failures));
      result.serviceDeltasPerAnswer.push(served.reduce((sum, timing) => sum + timing.deltaCount, 0) / served.length);
    }
  } finally {
    for (const client of clients) client.close();
  }
  return result;
}

/**
 * Answer bytes over the time from the stub writing the first piece of any of the round's answers to
 * the client receiving the last delta of all of them. Starting at the stub's write, not at the
 * client's first delta, counts the whole delivery, however the text was split into deltas.
 */
function bytesPerSecond(env: BenchEnvironment, timings: StreamTiming[], failures: string[]): number {
  for (const timing of timings) {
    if (timing.contentBytes !== answerBytes) failures.push(`${timing.marker}: ${timing.contentBytes} of ${answerBytes} bytes, ${timing.end}`);
  }
  const firstAt = Math.min(...timings.map((timing) => stubRecordOf(env.stub, timing)?.firstPieceAt ?? Number.NaN));
  const lastAt = Math.max(...timings.map((timing) => timing.lastDeltaAt ?? Number.NaN));
  const bytes = timings.reduce((sum, timing) => sum + timing.contentBytes, 0);
  return (bytes / (lastAt - firstAt)) * 1000;
}

