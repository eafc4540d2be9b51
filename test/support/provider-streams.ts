import type { CatalogModel } from '../../src/llm/model-catalog.ts';
import { createOpenAIProvider } from '../../src/llm/openai-provider.ts';
import type { ProviderChunk, ProviderRequest } from '../../src/llm/provider.ts';
import { startOpenAIStubServer } from './openai-stub-server.ts';

export const testModel: CatalogModel = {
  id: 'test-model',
  providerModel: 'stub-model-7b',
  contextWindowTokens: 8_192,
  maxOutputTokens: 1_024,
  isDefault: true,
};

/** A provider request with one user message; override any field. */
export function aProviderRequest(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    model: testModel,
    messages: [{ role: 'user', content: 'hello there' }],
    maxOutputTokens: 256,
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** Everything a provider stream produced: its deltas, its `done` chunk and the error it ended with. */
export type StreamOutcome = {
  deltas: string[];
  done: Extract<ProviderChunk, { type: 'done' }> | undefined;
  error: unknown;
};

/** Drains a provider stream, keeping what arrived before a failure. */
export async function readStream(stream: AsyncIterable<ProviderChunk>): Promise<StreamOutcome> {
  const outcome: StreamOutcome = { deltas: [], done: undefined, error: undefined };
  try {
    for await (const chunk of stream) {
      if (chunk.type === 'delta') outcome.deltas.push(chunk.text);
      else outcome.done = chunk;
    }
  } catch (error) {
    outcome.error = error;
  }
  return outcome;
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`: a bound, not a sleep. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Streams one answer from a throwaway stub, so the first request's one-off costs (loading the HTTP
 * client, ~100-250 ms under vitest) do not count against a test's short idle timeout.
 */
export async function warmUpOpenAIProvider(): Promise<void> {
  const stub = await startOpenAIStubServer();
  try {
    await readStream(createOpenAIProvider({ baseUrl: stub.baseUrl, idleTimeoutMs: 10_000 }).stream(aProviderRequest()));
  } finally {
    await stub.close();
  }
}
