import { answer } from '../test/support/openai-stub-behaviours.ts';
import type { BenchEnvironment } from './bench-environment.ts';
import { startCpuWindow, type CpuWindow } from './cpu-window.ts';
import { completeDirectTimed, connectServiceClient, generateTimed, openChat, type StreamTiming } from './timed-streams.ts';

/** A long answer: 2,000 pieces of 50 bytes (≈ 100 KB of text), sent as fast as the reader takes them. */
const pieceCount = 2_000;
const pieces = Array.from({ length: pieceCount }, (_, index) => `${String(index).padStart(6, '0')} ${'x'.repeat(43)}`);
const answerBytes = pieces.reduce((sum, piece) => sum + Buffer.byteLength(piece), 0);

export type Throughput = {
  readonly concurrency: number;
  /** Per round: answer bytes of all streams over first-delta-to-last-delta wall time, reading the stub directly. */
  readonly directBytesPerSecond: number[];
  /** The same through the service over gRPC. */
  readonly serviceBytesPerSecond: number[];
  /** Streams that did not deliver the whole answer. */
  readonly failures: string[];
  /** Per service round: how the service process and this one (stub + clients) used the CPU. */
  readonly serviceRoundCpu: CpuWindow[];
};

/**
 * Streaming throughput: per round, `concurrency` long answers read straight from the stub with the
 * `openai` SDK, then the same through the service. Preflight and finalization are outside the window.
 */
export async function measureThroughput(env: BenchEnvironment, options: { concurrency: number; rounds: number }): Promise<Throughput> {
  env.stub.respondWith(answer(pieces));
  const clients = await Promise.all(Array.from({ length: options.concurrency }, () => connectServiceClient(env.service.baseUrl)));
  const result: Throughput = { concurrency: options.concurrency, directBytesPerSecond: [], serviceBytesPerSecond: [], failures: [], serviceRoundCpu: [] };
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      const direct = await Promise.all(clients.map(() => completeDirectTimed(env.direct)));
      result.directBytesPerSecond.push(bytesPerSecond(direct, result.failures));
      const chatIds = await Promise.all(clients.map((client) => openChat(client)));
      const cpu = await startCpuWindow(env.service.pid);
      const served = await Promise.all(clients.map((client, index) => generateTimed(client, chatIds[index] ?? '')));
      result.serviceRoundCpu.push(await cpu.end());
      result.serviceBytesPerSecond.push(bytesPerSecond(served, result.failures));
    }
  } finally {
    for (const client of clients) client.close();
  }
  return result;
}

function bytesPerSecond(timings: StreamTiming[], failures: string[]): number {
  for (const timing of timings) {
    if (timing.contentBytes !== answerBytes) failures.push(`${timing.marker}: ${timing.contentBytes} of ${answerBytes} bytes, ${timing.end}`);
  }
  const firstAt = Math.min(...timings.map((timing) => timing.firstDeltaAt ?? Number.NaN));
  const lastAt = Math.max(...timings.map((timing) => timing.lastDeltaAt ?? Number.NaN));
  const bytes = timings.reduce((sum, timing) => sum + timing.contentBytes, 0);
  return (bytes / (lastAt - firstAt)) * 1000;
}

