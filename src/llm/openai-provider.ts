import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { type FinishReason, type ModelProvider, type ProviderChunk, ProviderError, type ProviderRequest, type ProviderUsage } from './provider.ts';

export type OpenAIProviderOptions = {
  /** An OpenAI-compatible API root such as `http://127.0.0.1:8000/v1`; OpenAI's own when absent. */
  baseUrl?: string;
  /** Absent for local servers that need no key. */
  apiKey?: string;
  /** The longest wait for the provider's next bytes before the turn fails with `provider_timeout`. */
  idleTimeoutMs: number;
};

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** The abort reason once a stream is over: one shared instance, no stack captured per request. */
const streamFinished = new Error('provider stream finished');
// Local servers (vLLM, Ollama, llama.cpp) ignore the key, but the SDK refuses to start without one.
const PLACEHOLDER_API_KEY = 'not-needed';

/**
 * A provider for any OpenAI-compatible Chat Completions endpoint, streaming through the official
 * SDK. It never retries (the client decides to Retry a failed turn) and maps failures to
 * `ProviderError` codes by the SDK's typed errors: 429 → `rate_limited`, timeouts and
 * `idleTimeoutMs` without a chunk → `provider_timeout`, `context_length_exceeded` →
 * `context_length_exceeded`, anything else (including a stream that ends without a finish reason)
 * → `provider_error`.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): ModelProvider {
  const client = new OpenAI({
    baseURL: options.baseUrl ?? OPENAI_BASE_URL,
    apiKey: options.apiKey ?? PLACEHOLDER_API_KEY,
    // Explicit values stop the SDK from reading OPENAI_* environment variables behind config's back.
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: 0,
    // Failures reach the caller as ProviderError and are logged once at the edge, not by the SDK.
    logLevel: 'off',
  });
  return { stream: (request) => streamChatCompletion(client, request, options.idleTimeoutMs) };
}

async function* streamChatCompletion(client: OpenAI, request: ProviderRequest, idleTimeoutMs: number): AsyncGenerator<ProviderChunk> {
  // One plain signal for the SDK that the caller's abort and our idle timeout both fire, not an
  // `AbortSignal.any` of the two: the SDK composes its own signal with ours that way and reads
  // `aborted` for every SSE message, and a composite over a composite re-checks both levels each
  // time (in a long answer's profile the composite checks were a few percent of the CPU).
  const controller = new AbortController();
  const idle = createIdleWatchdog(idleTimeoutMs, controller);
  const forwardCallerAbort = () => controller.abort(request.signal.reason);
  if (request.signal.aborted) forwardCallerAbort();
  else request.signal.addEventListener('abort', forwardCallerAbort, { once: true });
  const { signal } = controller;
  let chunks: AsyncIterator<ChatCompletionChunk> | undefined;
  try {
    const stream = await idle.watch(
      client.chat.completions.create(
        {
          model: request.model.providerModel,
          messages: request.messages,
          max_completion_tokens: request.maxOutputTokens,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      ),
    );
    chunks = stream[Symbol.asyncIterator]();
    let finishReason: FinishReason | undefined;
    let usage: ProviderUsage | undefined;
    for (let next = await idle.read(chunks); !next.done; next = await idle.read(chunks)) {
      const chunk = next.value;
      if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
      const choice = chunk.choices[0];
      if (!choice) continue;
      // No clock runs while we wait here for the consumer: a slow reader is not a slow provider.
      if (choice.delta?.content) yield { type: 'delta', text: choice.delta.content };
      if (choice.finish_reason) finishReason = toFinishReason(choice.finish_reason);
    }
    // The SDK ends the iteration quietly when its request is aborted, so "done" may mean either.
    throwIfStopped(request.signal, idle);
    if (finishReason === undefined) throw new ProviderError('provider_error');
    yield usage ? { type: 'done', finishReason, usage } : { type: 'done', finishReason };
  } catch (error) {
    throwIfStopped(request.signal, idle);
    throw toProviderError(error);
  } finally {
    idle.disarm();
    request.signal.removeEventListener('abort', forwardCallerAbort);
    // A consumer that leaves early must not leave the HTTP request open.
    await chunks?.return?.();
    // Also after a complete answer: the SDK composes its signal with ours (`AbortSignal.any`), and
    // the fetch's listener on that composite keeps it in Node's set of signals that must outlive
    // their references until it fires or the request is garbage-collected.
    if (!signal.aborted) controller.abort(streamFinished);
  }
}

function throwIfStopped(callerSignal: AbortSignal, idle: IdleWatchdog): void {
  callerSignal.throwIfAborted();
  if (idle.hasExpired()) throw new ProviderError('provider_timeout');
}

function toFinishReason(reason: ChatCompletionChunk.Choice['finish_reason']): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'stop':
    case 'tool_calls':
    case 'function_call':
      return 'stop';
    default:
      // e.g. vLLM's 'abort': the answer did not end normally.
      throw new ProviderError('provider_error');
  }
}

/** HTTP statuses that say the request ran out of time: 408 Request Timeout, 504 Gateway Timeout. */
const timeoutStatuses: ReadonlySet<number> = new Set([408, 504]);

function toProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIConnectionTimeoutError) return new ProviderError('provider_timeout', { cause: error });
  if (error instanceof APIError && error.status === 429) return new ProviderError('rate_limited', { cause: error });
  if (error instanceof APIError && error.status !== undefined && timeoutStatuses.has(error.status)) return new ProviderError('provider_timeout', { cause: error });
  if (error instanceof APIError && isContextOverflow(error)) return new ProviderError('context_length_exceeded', { cause: error });
  return new ProviderError('provider_error', { cause: error });
}

/**
 * An overlong prompt, as the servers operations.md names report it: OpenAI with the code
 * `context_length_exceeded` (also as a stream error); llama.cpp's server with the type
 * `exceed_context_size_error`; vLLM with a 400 whose code is the number 400 and whose message says
 * "maximum context length".
 */
function isContextOverflow(error: APIError): boolean {
  if (error.code === 'context_length_exceeded' || error.type === 'exceed_context_size_error') return true;
  return error.status === 400 && /maximum context length|context length is|exceeds the (?:available )?context/i.test(error.message);
}

type IdleWatchdog = {
  /** Whether a wait ran past the idle timeout (and aborted the controller). */
  hasExpired(): boolean;
  /** Awaits `pending`, aborting the controller if it takes longer than the idle timeout. */
  watch<T>(pending: Promise<T>): Promise<T>;
  /**
   * `iterator.next()` under the same clock, without an async wrapper of its own: this runs once
   * per chunk. The clock stops when the read settles, however it settles.
   */
  read<T>(iterator: AsyncIterator<T>): Promise<IteratorResult<T>>;
  disarm(): void;
};

function createIdleWatchdog(timeoutMs: number, controller: AbortController): IdleWatchdog {
  // One timer per stream, re-armed with refresh() at the start of every wait instead of a new
  // setTimeout per chunk. It only counts while a wait is in flight: if it fires between waits (the
  // consumer holding a chunk), it does nothing, and the next wait's refresh() starts it again.
  let timer: NodeJS.Timeout | undefined;
  let isWaiting = false;
  let isExpired = false;
  const expire = () => {
    if (!isWaiting) return;
    isExpired = true;
    controller.abort(new ProviderError('provider_timeout'));
  };
  const startWaiting = () => {
    isWaiting = true;
    if (timer) timer.refresh();
    else timer = setTimeout(expire, timeoutMs);
  };
  const stopWaiting = () => {
    isWaiting = false;
  };
  return {
    hasExpired: () => isExpired,
    async watch(pending) {
      startWaiting();
      try {
        return await pending;
      } finally {
        stopWaiting();
      }
    },
    read(iterator) {
      startWaiting();
      const pending = iterator.next();
      pending.then(stopWaiting, stopWaiting);
      return pending;
    },
    disarm() {
      isWaiting = false;
      clearTimeout(timer);
    },
  };
}
