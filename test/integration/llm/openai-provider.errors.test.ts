import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAIProvider } from '../../../src/llm/openai-provider.ts';
import { ProviderError } from '../../../src/llm/provider.ts';
import {
  answer,
  badRequest,
  contextLengthExceeded,
  dropMidStream,
  gatewayTimeout,
  llamaCppContextExceeded,
  malformedChunk,
  neverFinish,
  noResponse,
  rateLimited,
  serverError,
  vllmContextLengthExceeded,
} from '../../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../../support/openai-stub-server.ts';
import { aProviderRequest, readStream, warmUpOpenAIProvider } from '../../support/provider-streams.ts';

describe('openai provider failures', () => {
  let stub: OpenAIStubServer;
  beforeAll(warmUpOpenAIProvider);
  beforeEach(async () => {
    stub = await startOpenAIStubServer();
  });
  afterEach(async () => {
    await stub.close();
  });

  const idleTimeoutMs = 500;
  const provider = () => createOpenAIProvider({ baseUrl: stub.baseUrl, apiKey: 'sk-secret-key', idleTimeoutMs });

  it('fails with rate_limited on HTTP 429, without retrying', async () => {
    stub.respondWith(rateLimited);

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome.error).toBeInstanceOf(ProviderError);
    expect(outcome.error).toMatchObject({ code: 'rate_limited' });
    expect(stub.requests).toHaveLength(1);
  });

  it('fails with provider_error on HTTP 500, without retrying', async () => {
    stub.respondWith(serverError);

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome.error).toMatchObject({ name: 'ProviderError', code: 'provider_error' });
    expect(stub.requests).toHaveLength(1);
  });

  it.each([
    ['OpenAI: 400 with the code context_length_exceeded', 'context_length_exceeded', contextLengthExceeded],
    ["vLLM: 400 whose message says 'maximum context length'", 'context_length_exceeded', vllmContextLengthExceeded],
    ['llama.cpp: 400 of type exceed_context_size_error', 'context_length_exceeded', llamaCppContextExceeded],
    ['a 400 about something else', 'provider_error', badRequest],
    ['504 from a gateway', 'provider_timeout', gatewayTimeout],
  ])('maps %s to %s', async (_name, code, behaviour) => {
    stub.respondWith(behaviour);

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome.error).toMatchObject({ name: 'ProviderError', code });
    expect(stub.requests).toHaveLength(1);
  });

  it('keeps the API key, the URL and the provider body out of the error message', async () => {
    stub.respondWith(contextLengthExceeded);

    const { error } = await readStream(provider().stream(aProviderRequest()));

    const message = (error as ProviderError).message;
    expect(message).not.toContain('sk-secret-key');
    expect(message).not.toContain('127.0.0.1');
    expect(message).not.toContain('maximum context length');
  });

  it('fails with provider_error after the deltas already received when the connection drops mid-stream', async () => {
    const received = Promise.withResolvers<void>();
    stub.respondWith(dropMidStream(['Once', ' upon'], received.promise));
    const chunks = provider().stream(aProviderRequest())[Symbol.asyncIterator]();

    const deltas = [await chunks.next(), await chunks.next()].map((next) => next.value);
    received.resolve();
    const afterDrop = await chunks.next().catch((error: unknown) => error);

    expect(deltas).toEqual([
      { type: 'delta', text: 'Once' },
      { type: 'delta', text: ' upon' },
    ]);
    expect(afterDrop).toMatchObject({ name: 'ProviderError', code: 'provider_error' });
  });

  it('fails with provider_error when the stream ends without a finish reason', async () => {
    stub.respondWith(answer(['Once'], { finishReason: null }));

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome.done).toBeUndefined();
    expect(outcome.error).toMatchObject({ name: 'ProviderError', code: 'provider_error' });
  });

  it('fails with provider_error on a chunk that is not JSON', async () => {
    stub.respondWith(malformedChunk(['Once']));

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome.deltas).toEqual(['Once']);
    expect(outcome.error).toMatchObject({ name: 'ProviderError', code: 'provider_error' });
  });

  it('fails with provider_timeout once no chunk arrived for the idle timeout, and aborts the request', async () => {
    stub.respondWith(neverFinish(['Thinking']));
    const startedAt = performance.now();

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome.deltas).toEqual(['Thinking']);
    expect(outcome.error).toMatchObject({ name: 'ProviderError', code: 'provider_timeout' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(idleTimeoutMs - 5);
    await expect(stub.requests[0]!.clientClosed).resolves.toEqual(expect.any(Number));
  });

  it('fails with provider_timeout when the provider never answers the request at all, not even with headers, and aborts it', async () => {
    stub.respondWith(noResponse);
    const startedAt = performance.now();

    const outcome = await readStream(provider().stream(aProviderRequest()));

    expect(outcome.deltas).toEqual([]);
    expect(outcome.error).toMatchObject({ name: 'ProviderError', code: 'provider_timeout' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(idleTimeoutMs - 5);
    await expect(stub.requests[0]!.clientClosed).resolves.toEqual(expect.any(Number));
  });
});
