import type { CatalogModel } from './model-catalog.ts';

/** One message of the context sent to the model, oldest first. */
export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** Why the model stopped: the `finish_reason` of api.md's `done` event, in lower case. */
export type FinishReason = 'stop' | 'length' | 'content_filter';

/** Token counts as the provider reported them (or, for echo, estimated them). */
export type ProviderUsage = { inputTokens: number; outputTokens: number };

export type ProviderRequest = {
  model: CatalogModel;
  messages: ChatMessage[];
  maxOutputTokens: number;
  /** Firing it aborts the provider request; the stream then throws `signal.reason`. */
  signal: AbortSignal;
};

/**
 * What a provider stream yields: zero or more `delta`s (non-empty text, in order, concatenating to
 * the answer), then exactly one `done`, which is always the last chunk. `usage` is absent when the
 * provider reported none.
 */
export type ProviderChunk =
  | { type: 'delta'; text: string }
  | { type: 'done'; finishReason: FinishReason; usage?: ProviderUsage };

/**
 * A model provider. `stream()` is pull-based: the provider reads its source only as fast as the
 * caller iterates, so a slow consumer slows the provider down instead of filling memory.
 *
 * The iteration ends in exactly one of three ways:
 * - a `done` chunk, after which the iterator finishes;
 * - a `ProviderError`, after any deltas already yielded (the deltas stay valid as a partial answer);
 * - when `request.signal` fires: the iterator throws `request.signal.reason` (never a
 *   `ProviderError`), and the provider request is aborted.
 * Leaving the loop early (`break`, `return()`) also aborts the provider request.
 */
export interface ModelProvider {
  stream(request: ProviderRequest): AsyncIterable<ProviderChunk>;
}

/** The `failed` event codes a provider can cause (api.md); a closed set. */
export const providerErrorCodes = ['provider_error', 'provider_timeout', 'rate_limited', 'context_length_exceeded'] as const;
export type ProviderErrorCode = (typeof providerErrorCodes)[number];

// Fixed texts: a provider's own message may quote the prompt, the URL or its raw body.
const messageByCode = {
  provider_error: 'The model provider failed to produce an answer.',
  provider_timeout: 'The model provider stopped responding.',
  rate_limited: 'The model provider is rate limiting requests; try again later.',
  context_length_exceeded: "The conversation is too long for the model's context window.",
} satisfies Record<ProviderErrorCode, string>;

/**
 * A provider failure the turn reports as `failed { code }`. `message` is safe to show a client: it
 * never contains the API key, the provider URL or the provider's response. The original error is
 * kept as `cause`, for logs only.
 */
export class ProviderError extends Error {
  readonly code: ProviderErrorCode;

  constructor(code: ProviderErrorCode, options?: { cause?: unknown }) {
    super(messageByCode[code], options);
    this.name = 'ProviderError';
    this.code = code;
  }
}
