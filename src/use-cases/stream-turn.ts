import type { MikroORM } from '@mikro-orm/postgresql';
import { touchTurnProgress } from '../db/repositories/turn.repository.ts';
import { estimateTokens, failureMessages, type TurnFailureCode, type TurnOutcome, type Usage } from '../domain/turn.ts';
import { ProviderError, type ModelProvider, type ProviderChunk } from '../llm/provider.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { ServiceMetrics } from '../telemetry/metrics.ts';
import { assembleTurnContext } from './assemble-turn-context.ts';
import { finalizeTurn, type Finalization } from './finalize-turn.ts';
import { readProviderAhead, type ProviderReadAhead } from './provider-read-ahead.ts';
import type { StartedTurn } from './started-turn.ts';
import type { TurnStreamEvent } from './turn-stream-events.ts';
import { observeTurnStream, type TurnStreamTelemetry } from './turn-stream-telemetry.ts';

export type StreamTurnDeps = {
  readonly orm: MikroORM;
  readonly provider: ModelProvider;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly systemPrompt: string;
  readonly heartbeatIntervalMs: number;
  /** A reader that takes no event for this long is treated as gone: the turn is cancelled. */
  readonly stallTimeoutMs: number;
  /** `last_progress_at` is refreshed this often while tokens flow (`progressRefreshInterval`). */
  readonly progressRefreshMs: number;
};

const heartbeatTick = Symbol('heartbeat');

/**
 * Ends the call of a reader that came back after the stall timeout had cancelled its turn: the turn
 * is already final (cancelled, with the text it was sent as its partial answer), so the stream may
 * carry nothing more, and it must not end with OK without a terminal event (api.md rule 2).
 */
export class ReaderStalledError extends Error {
  constructor(stallTimeoutMs: number) {
    super(`the stream was not read for ${stallTimeoutMs} ms (CLIENT_STALL_TIMEOUT), so its turn was cancelled`);
    this.name = 'ReaderStalledError';
  }
}

/**
 * Streams a started turn (turns.md steps 5–8): `started`, the model's deltas as they arrive (those
 * that arrived while the previous event was being sent go out together: `readProviderAhead`),
 * heartbeats in silences, then `done` or `failed` once the end is committed. No transaction or lock
 * is held while the model answers. The call's signal firing (client cancel, deadline, shutdown), or
 * a reader that stops taking events, aborts the provider request at once and finalizes the turn as
 * cancelled, keeping the text so far as a partial answer. Its spans, metrics and log lines are
 * described in `observeTurnStream`.
 */
export async function* streamTurn(deps: StreamTurnDeps, turn: StartedTurn, callSignal: AbortSignal): AsyncGenerator<TurnStreamEvent> {
  const telemetry = observeTurnStream(deps, turn);
  const providerAbort = new AbortController();
  const abortProvider = () => {
    telemetry.cancellationObserved();
    providerAbort.abort(callSignal.reason);
  };
  callSignal.addEventListener('abort', abortProvider, { once: true });
  const run = createTurnRun(deps, turn, telemetry);
  // A reader that does not take a yielded event within the stall timeout: the provider request is
  // aborted and the turn is finalized as cancelled right away. Armed while an event waits at a yield.
  let hasStalled = false;
  const stall = createRearmableTimer(deps.stallTimeoutMs, () => {
    hasStalled = true;
    telemetry.cancellationObserved();
    providerAbort.abort(new Error('reader stalled'));
    run.end({ state: 'cancelled', text: run.text, usage: run.estimatedUsage() }).catch((error: unknown) => telemetry.logger.error({ err: error }, 'finalizing a stalled turn failed'));
  });
  /** Yields one event, or nothing, with the stall timer armed while it waits for the reader. */
  async function* guarded(event: TurnStreamEvent | undefined): AsyncGenerator<TurnStreamEvent> {
    if (!event) return;
    stall.arm();
    try {
      yield event;
    } finally {
      stall.disarm();
    }
    // After a terminal event the turn was final before the stall, and the stream is complete.
    if (hasStalled && event.type !== 'done' && event.type !== 'failed') throw new ReaderStalledError(deps.stallTimeoutMs);
  }
  const heartbeat = createHeartbeat(deps.heartbeatIntervalMs);
  let readAhead: ProviderReadAhead | undefined;
  try {
    yield* guarded(startedEvent(turn));
    const context = await assembleTurnContext(deps.orm, turn, deps.systemPrompt);
    if (!context) {
      yield* guarded(await run.end(failedOutcome(run, 'context_length_exceeded', 'current message exceeds the context budget')));
      return;
    }
    const chunks = deps.provider.stream({ model: turn.model, messages: context, maxOutputTokens: turn.model.maxOutputTokens, signal: providerAbort.signal });
    run.promptSent(context);
    telemetry.providerRequested();
    readAhead = readProviderAhead(chunks[Symbol.asyncIterator](), telemetry.providerReads(providerAbort.signal));
    let pending = readAhead.next();
    for (;;) {
      const step = await heartbeat.next(pending);
      if (step === heartbeatTick) {
        yield* guarded({ type: 'heartbeat' });
        continue;
      }
      if (step.done) throw new ProviderError('provider_error', { cause: new Error('stream ended without a done chunk') });
      const chunk: ProviderChunk = step.value;
      if (chunk.type === 'done') {
        const usage = chunk.usage ?? run.estimatedUsage();
        yield* guarded(await run.end({ state: 'completed', text: run.text, usage, finishReason: chunk.finishReason }));
        return;
      }
      if (!(await run.recordDelta(chunk.text))) {
        providerAbort.abort(new Error('turn ended elsewhere'));
        yield* guarded(await run.reportLost());
        return;
      }
      // The hot path: the same as `yield* guarded(...)`, without a nested generator per delta.
      stall.arm();
      try {
        yield { type: 'delta', text: chunk.text };
      } finally {
        stall.disarm();
      }
      if (hasStalled) throw new ReaderStalledError(deps.stallTimeoutMs);
      pending = readAhead.next();
    }
  } catch (error) {
    const outcome = outcomeOfError(run, error, providerAbort.signal, telemetry.logger);
    const terminal = await run.end(outcome);
    if (outcome.state !== 'cancelled') yield* guarded(terminal);
    // Cancelled by the call's signal: end the call with its reason (the client's cancel, the
    // deadline, or the server's shutdown as UNAVAILABLE), never with an OK that lacks a terminal
    // event. The only other cancellation that reaches here is the stall timeout's.
    else throw callSignal.aborted ? callSignal.reason : new ReaderStalledError(deps.stallTimeoutMs);
  } finally {
    heartbeat.close();
    stall.close();
    readAhead?.close();
    callSignal.removeEventListener('abort', abortProvider);
    providerAbort.abort(new Error('turn stream closed'));
    try {
      // The reader left while the stream was suspended at a yield: nobody will see a terminal event,
      // but the turn must not stay running.
      await run.end({ state: 'cancelled', text: run.text, usage: run.estimatedUsage() });
    } finally {
      telemetry.streamEnded(await run.settled());
    }
  }
}

function startedEvent(turn: StartedTurn): TurnStreamEvent {
  return {
    type: 'started',
    chatId: turn.chatId,
    requestId: turn.requestId,
    turnId: turn.turnId,
    messageId: turn.assistantMessageId,
    isNewTurn: true,
    model: turn.model.id,
    ...(turn.replacesRequestId ? { replacesRequestId: turn.replacesRequestId } : {}),
  };
}

/**
 * One timer for a whole stream instead of a `setTimeout` per event: `arm()` (re)starts the clock
 * with `refresh()`, `disarm()` stops it counting (a fire while disarmed does nothing, and the next
 * `arm()` reactivates the timer), `close()` releases it.
 */
function createRearmableTimer(ms: number, onExpire: () => void) {
  let timer: NodeJS.Timeout | undefined;
  let isArmed = false;
  const fire = () => {
    if (!isArmed) return;
    isArmed = false;
    onExpire();
  };
  return {
    arm(): void {
      isArmed = true;
      if (timer) timer.refresh();
      else timer = setTimeout(fire, ms);
    },
    disarm(): void {
      isArmed = false;
    },
    close(): void {
      isArmed = false;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Waits for provider reads, answering `heartbeatTick` after `intervalMs` without one settling. */
function createHeartbeat(intervalMs: number) {
  let wake: (() => void) | undefined;
  const timer = createRearmableTimer(intervalMs, () => wake?.());
  return {
    /** `pending`'s result, or `heartbeatTick` if it has not settled within the interval. */
    next<T>(pending: Promise<T>): Promise<T | typeof heartbeatTick> {
      return new Promise<T | typeof heartbeatTick>((resolve, reject) => {
        const wakeThis = () => resolve(heartbeatTick);
        wake = wakeThis;
        timer.arm();
        // After a heartbeat the same `pending` is waited for again; only the latest wait stops the clock.
        const settle = () => {
          if (wake !== wakeThis) return;
          wake = undefined;
          timer.disarm();
        };
        pending.then(
          (value) => {
            settle();
            resolve(value);
          },
          (error: unknown) => {
            settle();
            reject(error);
          },
        );
      });
    },
    close: () => timer.close(),
  };
}

function failedOutcome(run: TurnRun, code: TurnFailureCode, detail: string): TurnOutcome {
  return { state: 'failed', text: run.text, usage: run.estimatedUsage(), code, detail };
}

function outcomeOfError(run: TurnRun, error: unknown, providerSignal: AbortSignal, logger: Logger): TurnOutcome {
  if (providerSignal.aborted) return { state: 'cancelled', text: run.text, usage: run.estimatedUsage() };
  if (error instanceof ProviderError) return failedOutcome(run, error.code, String(error.cause ?? error.message));
  logger.error({ err: error }, 'turn stream failed unexpectedly');
  return failedOutcome(run, 'internal', error instanceof Error ? error.message : String(error));
}

type TurnRun = ReturnType<typeof createTurnRun>;

/** The mutable state of one streaming turn: text so far, timing, and its single finalization. */
function createTurnRun(deps: StreamTurnDeps, turn: StartedTurn, telemetry: TurnStreamTelemetry) {
  let text = '';
  // Joined only if usage has to be estimated: most providers report it.
  let prompt: readonly { content: string }[] = [];
  let firstTokenAt: Date | undefined;
  let lastProgressAt = Date.now();
  let finalization: Promise<Finalization> | undefined;

  const terminalEventOf = (result: Finalization): TurnStreamEvent | undefined => {
    if (!result.isWinner) {
      const code = result.errorCode ?? 'internal';
      return result.state === 'failed' ? { type: 'failed', code, message: failureMessages[code] } : undefined;
    }
    const { outcome } = result;
    if (outcome.state === 'completed') {
      return { type: 'done', messageId: turn.assistantMessageId, usage: outcome.usage, model: turn.model.id, finishReason: outcome.finishReason };
    }
    if (outcome.state === 'failed') return { type: 'failed', code: outcome.code, message: failureMessages[outcome.code] };
    return undefined;
  };

  return {
    get text() {
      return text;
    },
    /** The prompt is on its way to the provider: from now on its input tokens are spent. */
    promptSent(messages: readonly { content: string }[]): void {
      prompt = messages;
    },
    /**
     * Usage when the provider reported none (an answer without usage, a cancel, a failure): the
     * prompt sent, if any, and the text so far. A turn cut short has still spent its prompt.
     */
    estimatedUsage(): Usage {
      return { inputTokens: estimateTokens(prompt.map((message) => message.content).join('\n')), outputTokens: estimateTokens(text) };
    },
    /** Adds a delta; returns false when the turn is no longer running (e.g. the watchdog ended it). */
    async recordDelta(delta: string): Promise<boolean> {
      text += delta;
      if (!firstTokenAt) {
        firstTokenAt = new Date();
        telemetry.firstTokenHanded(firstTokenAt);
      }
      if (Date.now() - lastProgressAt < deps.progressRefreshMs) return true;
      lastProgressAt = Date.now();
      return touchTurnProgress(deps.orm.em.fork(), { tenantId: turn.tenantId, turnId: turn.turnId });
    },
    /** Finalizes once; later calls return the first result. Returns the terminal event to send, if any. */
    async end(outcome: TurnOutcome): Promise<TurnStreamEvent | undefined> {
      finalization ??= finalizeTurn(deps.orm, turn, outcome, { firstTokenAt });
      return terminalEventOf(await finalization);
    },
    /** The finalization's result once settled; undefined if none ran or it failed. */
    async settled(): Promise<Finalization | undefined> {
      return finalization?.catch(() => undefined);
    },
    /** The turn was ended by someone else: report their end without writing anything. */
    async reportLost(): Promise<TurnStreamEvent | undefined> {
      return this.end({ state: 'cancelled', text, usage: this.estimatedUsage() });
    },
  };
}
