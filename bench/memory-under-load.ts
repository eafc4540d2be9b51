import { setTimeout as delay } from 'node:timers/promises';
import { neverFinish } from '../test/support/openai-stub-behaviours.ts';
import type { BenchEnvironment } from './bench-environment.ts';
import { connectServiceClient, generateTimed, openChat, stubRecordOf } from './timed-streams.ts';
import { withDeadline } from './with-deadline.ts';

const settleMs = 1_000;
const openDeadlineMs = 60_000;
const endDeadlineMs = 30_000;
const samples = 10;
const sampleIntervalMs = 100;

export type MemoryUnderLoad = {
  readonly streams: number;
  /** Streams that had their first delta, i.e. were really open and streaming. */
  readonly opened: number;
  readonly idleRssBytes: number;
  /** Highest VmRSS of `samples` samples while all streams were held open. */
  readonly loadedRssBytes: number;
  /** VmHWM: the process's peak RSS since it started. */
  readonly peakRssBytes: number;
  /** VmRSS once every stream was cancelled, its turn finalized, and a settle pause passed. */
  readonly afterCancelRssBytes: number;
  /** Final turn states of the held streams' chats, e.g. `{ cancelled: 200 }`. */
  readonly turnStates: Record<string, number>;
};

/**
 * Memory of `streams` concurrent turns held open: each stream gets one piece and then nothing (the
 * stub never finishes) while its client keeps reading. The service's RSS is sampled idle, while
 * held, and after all are cancelled; the database must then show every turn `cancelled`.
 */
export async function measureMemoryUnderLoad(env: BenchEnvironment, options: { streams: number }): Promise<MemoryUnderLoad> {
  env.stub.respondWith(neverFinish(['first']));
  const clients = await Promise.all(Array.from({ length: options.streams }, () => connectServiceClient(env.service.baseUrl)));
  try {
    const chatIds = await Promise.all(clients.map((client) => openChat(client)));
    await delay(settleMs);
    const idle = await env.service.memory();

    const controllers = clients.map(() => new AbortController());
    const firstDeltas: Promise<unknown>[] = [];
    const streams = clients.map((client, index) => {
      let onFirstDelta = () => {};
      const stream = generateTimed(client, chatIds[index] ?? '', { signal: controllers[index]?.signal, onFirstDelta: () => onFirstDelta() });
      firstDeltas.push(Promise.race([new Promise<void>((resolve) => (onFirstDelta = resolve)), stream]));
      return stream;
    });
    await withDeadline(Promise.all(firstDeltas), openDeadlineMs, `${options.streams} streams to get their first delta`);
    let loadedRssBytes = 0;
    for (let sample = 0; sample < samples; sample += 1) {
      loadedRssBytes = Math.max(loadedRssBytes, (await env.service.memory()).rssBytes);
      await delay(sampleIntervalMs);
    }
    const { peakRssBytes } = await env.service.memory();

    for (const controller of controllers) controller.abort();
    const timings = await withDeadline(Promise.all(streams), endDeadlineMs, 'cancelled streams to end at the client');
    const closes = timings.map((timing) => stubRecordOf(env.stub, timing)?.clientClosed);
    await withDeadline(Promise.all(closes), endDeadlineMs, 'the stub to see every cancelled provider request close');
    const turnStates = await waitForFinalTurnStates(env, chatIds);
    await delay(settleMs);
    return {
      streams: options.streams,
      opened: timings.filter((timing) => timing.firstDeltaAt !== undefined).length,
      idleRssBytes: idle.rssBytes,
      loadedRssBytes,
      peakRssBytes,
      afterCancelRssBytes: (await env.service.memory()).rssBytes,
      turnStates,
    };
  } finally {
    for (const client of clients) client.close();
  }
}

/** Polls the turns of these chats until none is `running` (or the deadline passes) and counts them by state. */
async function waitForFinalTurnStates(env: BenchEnvironment, chatIds: string[]): Promise<Record<string, number>> {
  const deadline = performance.now() + endDeadlineMs;
  for (;;) {
    const rows = await env.sql.rows<{ state: string; n: number }>(
      'select state, count(*)::int as n from chat_turns where chat_id = any($1::uuid[]) group by state',
      [chatIds],
    );
    const states = Object.fromEntries(rows.map((row) => [row.state, row.n]));
    if (!states['running'] || performance.now() > deadline) return states;
    await delay(100);
  }
}
