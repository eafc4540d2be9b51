import { describe, expect, it } from 'vitest';
import { createEchoProvider } from '../../../src/llm/echo-provider.ts';
import type { ChatMessage } from '../../../src/llm/provider.ts';
import { aProviderRequest, readStream } from '../../support/provider-streams.ts';

// A 0 ms word delay: no timers run, the provider only checks the signal between words.
const echo = createEchoProvider({ wordDelayMs: 0 });

describe('echo provider', () => {
  it('answers the same request with the same chunks every time', async () => {
    const request = aProviderRequest({ messages: [{ role: 'user', content: 'same words twice' }] });

    const [first, second] = [await readStream(echo.stream(request)), await readStream(echo.stream(request))];

    expect(first).toEqual(second);
  });

  it('streams "Echo: <message>" one word per delta, whitespace kept, so the deltas concatenate to the answer', async () => {
    const outcome = await readStream(echo.stream(aProviderRequest({ messages: [{ role: 'user', content: 'hello  big\nworld' }] })));

    expect(outcome.deltas).toEqual(['Echo: ', 'hello  ', 'big\n', 'world']);
    expect(outcome.deltas.join('')).toBe('Echo: hello  big\nworld');
  });

  it('echoes the last user message, not earlier ones or the assistant', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'second question' },
    ];

    const outcome = await readStream(echo.stream(aProviderRequest({ messages })));

    expect(outcome.deltas.join('')).toBe('Echo: second question');
  });

  it('ends with finish reason stop and usage of UTF-8 bytes / 4, rounded up', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' }, // 9 bytes
      { role: 'user', content: 'héllo' }, // 6 bytes: é is two
    ];

    const outcome = await readStream(echo.stream(aProviderRequest({ messages })));

    // input: 15 bytes → 4 tokens; output: 'Echo: héllo' is 12 bytes → 3 tokens
    expect(outcome.done).toEqual({ type: 'done', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 3 } });
  });

  it('cuts the answer at maxOutputTokens, on a character boundary, with finish reason length', async () => {
    const request = aProviderRequest({ messages: [{ role: 'user', content: 'héllo world' }], maxOutputTokens: 2 });

    const outcome = await readStream(echo.stream(request));

    // 2 tokens = 8 bytes: 'Echo: h' is 7, and 'é' (2 bytes) would not fit
    expect(outcome.deltas.join('')).toBe('Echo: h');
    expect(outcome.done).toMatchObject({ finishReason: 'length', usage: { outputTokens: 2 } });
  });

  it('stops with the abort reason, and no done, once the signal fires', async () => {
    const controller = new AbortController();
    const chunks = echo.stream(aProviderRequest({ signal: controller.signal }))[Symbol.asyncIterator]();
    await chunks.next();

    const reason = new Error('client cancelled');
    controller.abort(reason);

    await expect(chunks.next()).rejects.toBe(reason);
  });
});
