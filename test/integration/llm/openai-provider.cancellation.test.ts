import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAIProvider } from '../../../src/llm/openai-provider.ts';
import { ProviderError } from '../../../src/llm/provider.ts';
import { answer, neverFinish } from '../../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../../support/openai-stub-server.ts';
import { aProviderRequest, readStream, warmUpOpenAIProvider, within } from '../../support/provider-streams.ts';

/** Enough 1 KB pieces (20 MB) to dwarf the loopback socket buffers, which hold a few MB. */
function aFloodOfPieces(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${index} `.padEnd(1_000, 'x'));
}

describe('openai provider cancellation and backpressure', () => {
  let stub: OpenAIStubServer;
  beforeAll(warmUpOpenAIProvider);
  beforeEach(async () => {
    stub = await startOpenAIStubServer();
  });
  afterEach(async () => {
    await stub.close();
  });

  const provider = (idleTimeoutMs = 5_000) => createOpenAIProvider({ baseUrl: stub.baseUrl, idleTimeoutMs });

  it('closes the provider request within 200 ms of an abort mid-stream', async () => {
    stub.respondWith(neverFinish(['Partial']));
    const controller = new AbortController();
    const chunks = provider().stream(aProviderRequest({ signal: controller.signal }))[Symbol.asyncIterator]();
    await chunks.next();

    const abortedAt = performance.now();
    controller.abort();
    const closedAt = await within(2_000, 'the stub seeing the request closed', stub.requests[0]!.clientClosed);

    expect(closedAt - abortedAt).toBeLessThan(200);
  });

  it('ends the stream with the abort reason, not a ProviderError, when aborted mid-stream', async () => {
    stub.respondWith(neverFinish(['Partial']));
    const controller = new AbortController();
    const chunks = provider().stream(aProviderRequest({ signal: controller.signal }))[Symbol.asyncIterator]();
    await chunks.next();
    const waiting = chunks.next();

    const reason = new Error('client cancelled');
    controller.abort(reason);

    await expect(waiting).rejects.toBe(reason);
  });

  it('ends the stream with the abort reason when aborted before the first token', async () => {
    stub.respondWith(answer(['late'], { firstPieceDelayMs: 10_000 }));
    const controller = new AbortController();
    const outcome = readStream(provider().stream(aProviderRequest({ signal: controller.signal })));
    await stub.waitForRequest();

    controller.abort();

    const { deltas, error } = await outcome;
    expect(deltas).toEqual([]);
    expect(error).not.toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  it('closes the provider request when the consumer leaves the loop early', async () => {
    stub.respondWith(neverFinish(['First']));

    for await (const chunk of provider().stream(aProviderRequest())) {
      if (chunk.type === 'delta') break;
    }

    await expect(within(2_000, 'the stub seeing the request closed', stub.requests[0]!.clientClosed)).resolves.toEqual(expect.any(Number));
  });

  it('makes the provider wait instead of buffering the answer while the consumer stops pulling', async () => {
    const total = 20_000;
    stub.respondWith(answer(aFloodOfPieces(total)));
    const chunks = provider().stream(aProviderRequest())[Symbol.asyncIterator]();
    await chunks.next();

    const writtenWhenStalled = await within(10_000, 'the stub stalling on a full socket', stub.requests[0]!.stalled);

    expect(writtenWhenStalled).toBeLessThan(total / 2);
    await chunks.return?.();
  });

  it('does not count time the consumer spends not pulling against the idle timeout', async () => {
    const idleTimeoutMs = 500;
    stub.respondWith(answer(['slow', ' reader', ' here']));
    const chunks = provider(idleTimeoutMs).stream(aProviderRequest())[Symbol.asyncIterator]();
    const first = await chunks.next();

    // The stimulus, not a synchronisation: a consumer busy for three idle timeouts between pulls.
    await delay(3 * idleTimeoutMs);
    const rest = await readStream({ [Symbol.asyncIterator]: () => chunks });

    expect(rest.error).toBeUndefined();
    expect(first.value).toEqual({ type: 'delta', text: 'slow' });
    expect(rest.deltas).toEqual([' reader', ' here']);
    expect(rest.done?.finishReason).toBe('stop');
  });
});
