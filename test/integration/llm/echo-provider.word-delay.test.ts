import { describe, expect, it } from 'vitest';
import { createEchoProvider } from '../../../src/llm/echo-provider.ts';
import { aProviderRequest, within } from '../../support/provider-streams.ts';

describe('echo provider word delay', () => {
  it('ends a pending word delay at once with the abort reason', async () => {
    const controller = new AbortController();
    const chunks = createEchoProvider({ wordDelayMs: 60_000 }).stream(aProviderRequest({ signal: controller.signal }))[Symbol.asyncIterator]();
    const waiting = chunks.next();

    const reason = new Error('client cancelled');
    controller.abort(reason);

    await expect(within(200, 'the echo stream ending', waiting)).rejects.toBe(reason);
  });
});
