import { neverFinish } from '../test/support/openai-stub-behaviours.ts';
import type { BenchEnvironment } from './bench-environment.ts';
import { completeDirectTimed, connectServiceClient, generateTimed, openChat, stubRecordOf, type StreamOptions, type StreamTiming } from './timed-streams.ts';
import { withDeadline } from './with-deadline.ts';

/** Far above the 50 ms target: a cancel that has not reached the stub by then counts as lost. */
const closeDeadlineMs = 2_000;

export type CancelPropagation = {
  /** Client abort → stub sees the connection closed, reading the stub directly (ms). */
  readonly directMs: number[];
  /** Client cancels the Generate call → the service's provider request closes at the stub (ms). */
  readonly serviceMs: number[];
  readonly failures: string[];
};

/**
 * Cancel propagation, one stream at a time: the stub sends one piece and then holds the response
 * open; the client aborts as soon as that first delta arrives, and the stub's `clientClosed` stamp
 * says when the provider connection went away.
 */
export async function measureCancelPropagation(env: BenchEnvironment, options: { streams: number }): Promise<CancelPropagation> {
  env.stub.respondWith(neverFinish(['first']));
  const client = await connectServiceClient(env.service.baseUrl);
  const result: CancelPropagation = { directMs: [], serviceMs: [], failures: [] };
  try {
    for (let index = 0; index < options.streams; index += 1) {
      await measureOne(env, (streamOptions) => completeDirectTimed(env.direct, streamOptions), result.directMs, result.failures);
      const chatId = await openChat(client);
      await measureOne(env, (streamOptions) => generateTimed(client, chatId, streamOptions), result.serviceMs, result.failures);
    }
  } finally {
    client.close();
  }
  return result;
}

async function measureOne(
  env: BenchEnvironment,
  stream: (options: StreamOptions) => Promise<StreamTiming>,
  latenciesMs: number[],
  failures: string[],
): Promise<void> {
  const controller = new AbortController();
  let abortedAt = Number.NaN;
  const timing = await withDeadline(
    stream({
      signal: controller.signal,
      onFirstDelta: () => {
        abortedAt = performance.now();
        controller.abort();
      },
    }),
    closeDeadlineMs,
    'the first delta of a stream to be cancelled',
  ).catch((error: unknown) => {
    controller.abort();
    failures.push(String(error));
    return undefined;
  });
  if (!timing) return;
  const record = stubRecordOf(env.stub, timing);
  if (!record || timing.end !== 'cancelled') {
    failures.push(`${timing.marker}: ${timing.end}`);
    return;
  }
  const closedAt = await withDeadline(record.clientClosed, closeDeadlineMs, 'the stub to see a cancelled request close').catch(() => undefined);
  if (closedAt === undefined) failures.push(`${timing.marker}: provider request still open after ${closeDeadlineMs} ms`);
  else latenciesMs.push(closedAt - abortedAt);
}
