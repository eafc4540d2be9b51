import { setTimeout as delay } from 'node:timers/promises';
import type { ChatMessage, FinishReason, ModelProvider, ProviderChunk, ProviderRequest } from './provider.ts';

export type EchoProviderOptions = {
  /** Pause before each word, so the local flow streams visibly like a real model. 0 = no pause. */
  wordDelayMs: number;
};

/**
 * The built-in default model (operations.md "Models"): no network, and the same request always
 * gives the same chunks. It answers `Echo: <last user message>`, one word per delta (whitespace
 * kept, so the deltas concatenate to the answer), cut at `maxOutputTokens` with finish reason
 * `length`, and reports usage estimated as UTF-8 bytes / 4, rounded up.
 */
export function createEchoProvider(options: EchoProviderOptions): ModelProvider {
  return { stream: (request) => streamEcho(request, options.wordDelayMs) };
}

function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

async function* streamEcho(request: ProviderRequest, wordDelayMs: number): AsyncGenerator<ProviderChunk> {
  const { signal } = request;
  const { text: reply, finishReason } = truncateToTokens(replyTo(request.messages), request.maxOutputTokens);
  for (const word of splitIntoWords(reply)) {
    await pause(wordDelayMs, signal);
    yield { type: 'delta', text: word };
  }
  signal.throwIfAborted();
  const inputTokens = estimateTokens(request.messages.map((message) => message.content).join(''));
  yield { type: 'done', finishReason, usage: { inputTokens, outputTokens: estimateTokens(reply) } };
}

function replyTo(messages: readonly ChatMessage[]): string {
  const lastUserMessage = messages.findLast((message) => message.role === 'user');
  return `Echo: ${lastUserMessage?.content ?? ''}`;
}

/** Splits after each whitespace run, so every piece is a word with its trailing whitespace. */
function splitIntoWords(text: string): string[] {
  return text.split(/(?<=\s)(?=\S)/).filter((word) => word !== '');
}

/** The longest prefix (whole characters) whose token estimate fits `maxTokens`. */
function truncateToTokens(text: string, maxTokens: number): { text: string; finishReason: FinishReason } {
  if (estimateTokens(text) <= maxTokens) return { text, finishReason: 'stop' };
  const maxBytes = maxTokens * 4;
  let prefix = '';
  let prefixBytes = 0;
  for (const character of text) {
    prefixBytes += Buffer.byteLength(character, 'utf8');
    if (prefixBytes > maxBytes) break;
    prefix += character;
  }
  return { text: prefix, finishReason: 'length' };
}

/** Waits, but ends at once with `signal.reason` when the signal fires, like a real provider read. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms === 0) {
    signal.throwIfAborted();
    return;
  }
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    // node:timers rejects with its own AbortError; the contract is to surface the signal's reason.
    signal.throwIfAborted();
    throw error;
  }
}
