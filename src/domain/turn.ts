/**
 * The turn state machine (turns.md): `running → completed | failed | cancelled`, nothing else.
 * Every transition out of `running` is a compare-and-set in the database; these types describe
 * what a finished stream asks that CAS to write.
 */
export type TurnState = 'running' | 'completed' | 'failed' | 'cancelled';

/** The `failed` event codes of api.md; also stored as `chat_turns.error_code`. */
export type TurnFailureCode =
  | 'provider_error'
  | 'provider_timeout'
  | 'rate_limited'
  | 'context_length_exceeded'
  | 'orphan_timeout'
  | 'internal';

export type FinishReason = 'stop' | 'length' | 'content_filter';
export type Usage = { readonly inputTokens: number; readonly outputTokens: number };

/** How a turn's stream ended, before the CAS decides whether that end is recorded. */
export type TurnOutcome =
  | { readonly state: 'completed'; readonly text: string; readonly usage: Usage; readonly finishReason: FinishReason }
  | { readonly state: 'failed'; readonly text: string; readonly usage: Usage; readonly code: TurnFailureCode; readonly detail: string }
  | { readonly state: 'cancelled'; readonly text: string; readonly usage: Usage };

export function isTerminal(state: TurnState): boolean {
  return state !== 'running';
}

/**
 * Whether the outcome leaves an assistant message: a completed answer always (even empty), a
 * cancelled one only for the text produced so far, as a `partial` message; a failure never.
 */
export function assistantMessageOf(outcome: TurnOutcome): { content: string; isPartial: boolean } | undefined {
  if (outcome.state === 'completed') return { content: outcome.text, isPartial: false };
  if (outcome.state === 'cancelled' && outcome.text.length > 0) return { content: outcome.text, isPartial: true };
  return undefined;
}

/** turns.md step 7: `last_progress_at` is refreshed at most this often while tokens flow. */
const progressRefreshCeilingMs = 10_000;

/**
 * How often a streaming turn refreshes `last_progress_at`: every 10 s, or a third of
 * `ORPHAN_TIMEOUT` when that is under 30 s, so that a turn whose tokens flow is never older than
 * the timeout when the watchdog looks, whatever the operator set.
 */
export function progressRefreshInterval(orphanTimeoutMs: number): number {
  return Math.min(progressRefreshCeilingMs, Math.floor(orphanTimeoutMs / 3));
}

/** Rough token estimate used when a provider reports no usage: UTF-8 bytes / 4, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

/** Human text of each failure code, safe for clients (never provider internals). */
export const failureMessages = {
  provider_error: 'The model provider failed to produce an answer.',
  provider_timeout: 'The model provider stopped responding.',
  rate_limited: 'The model provider is rate limiting requests; try again later.',
  context_length_exceeded: "The message does not fit the model's context window.",
  orphan_timeout: 'The turn made no progress for too long and was ended.',
  internal: 'The turn failed because of an internal error.',
} satisfies Record<TurnFailureCode, string>;
