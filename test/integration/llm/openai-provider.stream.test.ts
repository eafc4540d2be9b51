import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOpenAIProvider } from '../../../src/llm/openai-provider.ts';
import { readProviderAhead } from '../../../src/use-cases/provider-read-ahead.ts';
import { answer } from '../../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../../support/openai-stub-server.ts';
import { aProviderRequest, readStream, warmUpOpenAIProvider } from '../../support/provider-streams.ts';

describe('openai provider streaming an answer', () => {
  let stub: OpenAIStubServer;
  beforeAll(warmUpOpenAIProvider);
  beforeEach(async () => {
    stub = await startOpenAIStubServer();
  });
  afterEach(async () => {
    await stub.close();
  });

  const provider = () => createOpenAIProvider({ baseUrl: stub.baseUrl, idleTimeoutMs: 5_000 });

  it('yields the deltas in order, then done with the usage and finish reason stop', async () => {
    stub.respondWith(answer(['The', ' quick', ' brown', ' fox'], { pieceDelayMs: 5, usage: { promptTokens: 12, completionTokens: 4 } }));

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome).toEqual({
      deltas: ['The', ' quick', ' brown', ' fox'],
      done: { type: 'done', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 4 } },
      error: undefined,
    });
  });

  it('sends the catalog provider model, the messages, the max output tokens and include_usage', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hi' },
    ];

    await readStream(provider().stream(aProviderRequest({ messages, maxOutputTokens: 77 })));

    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]).toMatchObject({
      path: '/v1/chat/completions',
      body: { model: 'stub-model-7b', messages, max_completion_tokens: 77, stream: true, stream_options: { include_usage: true } },
    });
  });

  it('sends a placeholder key when only a base URL is configured, and the configured key otherwise', async () => {
    await readStream(provider().stream(aProviderRequest()));
    await readStream(createOpenAIProvider({ baseUrl: stub.baseUrl, apiKey: 'sk-test-123', idleTimeoutMs: 5_000 }).stream(aProviderRequest()));

    expect(stub.requests.map((request) => request.headers.authorization)).toEqual(['Bearer not-needed', 'Bearer sk-test-123']);
  });

  it.each([
    ['length', 'length'],
    ['content_filter', 'content_filter'],
  ] as const)('reports the provider finish reason %s as %s', async (providerReason, finishReason) => {
    stub.respondWith(answer(['cut'], { finishReason: providerReason }));

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome.done?.finishReason).toBe(finishReason);
  });

  it('waits through a slow first token shorter than the idle timeout', async () => {
    stub.respondWith(answer(['late', ' but fine'], { firstPieceDelayMs: 300 }));

    const outcome = await readStream(createOpenAIProvider({ baseUrl: stub.baseUrl, idleTimeoutMs: 1_000 }).stream(aProviderRequest()));

    expect(outcome.deltas.join('')).toBe('late but fine');
    expect(outcome.done?.finishReason).toBe('stop');
  });

  it('clears its idle timer after a complete answer read as a turn stream reads it (nothing asked after done)', async () => {
    // A distinctive idle timeout tells the provider's timer from any other.
    const idleTimeoutMs = 123_456;
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    try {
      stub.respondWith(answer(['all', ' of it']));
      const ahead = readProviderAhead(
        createOpenAIProvider({ baseUrl: stub.baseUrl, idleTimeoutMs }).stream(aProviderRequest())[Symbol.asyncIterator](),
        { started: () => {}, settled: () => {}, failed: () => {} },
      );
      let step = await ahead.next();
      while (!step.done && step.value.type === 'delta') step = await ahead.next();
      expect(step).toMatchObject({ done: false, value: { type: 'done' } });
      const idleTimers = setTimeoutSpy.mock.calls.flatMap((call, index) => (call[1] === idleTimeoutMs ? [setTimeoutSpy.mock.results[index]?.value] : []));
      expect(idleTimers).toHaveLength(1);

      await vi.waitFor(() => expect(clearTimeoutSpy.mock.calls.map((call) => call[0])).toContain(idleTimers[0]));
    } finally {
      setTimeoutSpy.mockRestore();
      clearTimeoutSpy.mockRestore();
    }
  });
});
