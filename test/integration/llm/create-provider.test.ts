import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { createProvider } from '../../../src/llm/create-provider.ts';
import { answer } from '../../support/openai-stub-behaviours.ts';
import { startOpenAIStubServer, type OpenAIStubServer } from '../../support/openai-stub-server.ts';
import { aProviderRequest, readStream } from '../../support/provider-streams.ts';

describe('createProvider', () => {
  let stub: OpenAIStubServer;
  beforeEach(async () => {
    stub = await startOpenAIStubServer();
  });
  afterEach(async () => {
    await stub.close();
  });

  it('uses the echo model when LLM_PROVIDER is not set', async () => {
    const provider = createProvider(loadConfig({ ECHO_WORD_DELAY: '1ms' }).llm);

    const outcome = await readStream(provider.stream(aProviderRequest({ messages: [{ role: 'user', content: 'hi' }] })));

    expect(outcome.deltas.join('')).toBe('Echo: hi');
  });

  it('streams from OPENAI_BASE_URL when LLM_PROVIDER=openai', async () => {
    stub.respondWith(answer(['from', ' the stub']));
    const provider = createProvider(loadConfig({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stub.baseUrl }).llm);

    const outcome = await readStream(provider.stream(aProviderRequest()));

    expect(outcome.deltas.join('')).toBe('from the stub');
    expect(stub.requests).toHaveLength(1);
  });
});
