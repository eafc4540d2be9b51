import type { Span } from '@opentelemetry/api';
import { ProviderError } from '../llm/provider.ts';
import { turnLogFields, type Logger } from '../telemetry/logger.ts';
import type { ServiceMetrics, StreamResult } from '../telemetry/metrics.ts';
import { markFailed, startSpan } from '../telemetry/spans.ts';
import type { Finalization } from './finalize-turn.ts';
import type { ProviderReadObserver } from './provider-read-ahead.ts';
import type { StartedTurn } from './started-turn.ts';

/** What a turn stream's telemetry writes to: the service's instruments and its logger. */
export type TurnStreamTelemetryDeps = { readonly metrics: ServiceMetrics; readonly logger: Logger };

/** The telemetry of one open turn stream (see `observeTurnStream`). */
export type TurnStreamTelemetry = ReturnType<typeof observeTurnStream>;

/**
 * Everything one turn stream reports besides its events: `mini_chat_streams_active` while it is
 * open, `mini_chat_stream_total{result}` once it ends, the `provider.stream` span with its
 * `first_token` event, the time-to-first-token histograms, `mini_chat_time_to_abort_ms`, and a
 * logger carrying the turn's ids. Created when the stream starts; `streamEnded` must be called
 * exactly once, whatever happens.
 *
 * Definitions (all in milliseconds):
 * - `mini_chat_ttft_ms`: from the turn's start (`StartedTurn.startedAt`, taken in the preflight
 *   transaction) to the first delta being handed to the client stream; the same figure as the
 *   audit event's `latency_ms.ttft`.
 * - provider TTFT: from the provider request being sent (the first read of the provider stream)
 *   to its first delta arriving in this process.
 * - `mini_chat_ttft_overhead_ms`: `mini_chat_ttft_ms` minus the provider TTFT, i.e. what the
 *   service adds: preflight commit, context assembly, and handing the token on.
 * - `mini_chat_time_to_abort_ms`: from a cancellation being observed (the call's signal firing, or
 *   a stalled reader) to the provider stream having ended: its in-flight read settled after the
 *   abort. With no read in flight the abort is issued synchronously and the time is that of
 *   issuing it. Recorded once per stream, only if the provider request was still open.
 */
export function observeTurnStream(deps: TurnStreamTelemetryDeps, turn: StartedTurn) {
  const { metrics } = deps;
  const logger = deps.logger.child(turnLogFields(turn));
  metrics.streamsActive.add(1);
  let providerSpan: Span | undefined;
  let requestedAt = 0;
  let providerFirstTokenAt: number | undefined;
  let pendingRead: Promise<unknown> | undefined;
  let isAbortTimed = false;
  let isFirstTokenHanded = false;
  // The provider finished before its first delta reached the client (the stream reads ahead):
  // the span stays open for its `first_token` event and ends with this description once it has it.
  let describeFinished: ((span: Span) => void) | undefined;

  const endProviderSpan = (describe: (span: Span) => void) => {
    if (!providerSpan) return;
    describe(providerSpan);
    providerSpan.end();
    providerSpan = undefined;
  };

  return {
    /** The stream's logger: every line carries tenant_id, chat_id, request_id and turn_id. */
    logger,
    /** The provider request is about to be sent; opens the `provider.stream` span. */
    providerRequested(): void {
      requestedAt = performance.now();
      providerSpan = startSpan('provider.stream', {
        attributes: { 'gen_ai.request.model': turn.model.providerModel, 'minichat.model': turn.model.id, 'gen_ai.request.max_tokens': turn.model.maxOutputTokens },
      });
    },
    /**
     * The observer of the provider stream's reads (see `readProviderAhead`): notes its first delta
     * and its end, and keeps the read in flight for timing an abort. `providerSignal` tells an
     * aborted read from a failed one.
     */
    providerReads(providerSignal: AbortSignal): ProviderReadObserver {
      return {
        started(read) {
          pendingRead = read;
        },
        settled(step) {
          pendingRead = undefined;
          if (step.done) {
            endProviderSpan((span) => markFailed(span, new Error('provider stream ended without a done chunk')));
            return;
          }
          if (step.value.type === 'delta') {
            providerFirstTokenAt ??= performance.now();
            return;
          }
          const { usage, finishReason } = step.value;
          describeFinished = (span) =>
            span.setAttributes({ 'gen_ai.response.finish_reasons': [finishReason], ...(usage ? { 'gen_ai.usage.input_tokens': usage.inputTokens, 'gen_ai.usage.output_tokens': usage.outputTokens } : {}) });
          if (isFirstTokenHanded || providerFirstTokenAt === undefined) endProviderSpan(describeFinished);
        },
        failed(error) {
          pendingRead = undefined;
          endProviderSpan((span) => (providerSignal.aborted ? span.setAttribute('minichat.provider.aborted', true) : markFailed(span, error, error instanceof ProviderError ? error.code : undefined)));
        },
      };
    },
    /** The first delta was handed to the client stream at `at`. */
    firstTokenHanded(at: Date): void {
      isFirstTokenHanded = true;
      const ttftMs = Math.max(0, at.getTime() - turn.startedAt.getTime());
      metrics.ttftMs.record(ttftMs);
      if (providerFirstTokenAt === undefined) return;
      const providerTtftMs = providerFirstTokenAt - requestedAt;
      metrics.ttftOverheadMs.record(Math.max(0, ttftMs - providerTtftMs));
      providerSpan?.addEvent('first_token', { 'minichat.ttft_ms': ttftMs, 'minichat.provider_ttft_ms': Math.round(providerTtftMs) });
      if (describeFinished) endProviderSpan(describeFinished);
    },
    /** A client cancel, deadline, shutdown or stalled reader is about to abort the provider request. */
    cancellationObserved(): void {
      if (!providerSpan || isAbortTimed) return;
      isAbortTimed = true;
      const observedAt = performance.now();
      const record = () => metrics.timeToAbortMs.record(performance.now() - observedAt);
      if (pendingRead) pendingRead.then(record, record);
      else record();
    },
    /** The stream is over and its turn finalized (or finalizing failed: `undefined`). */
    streamEnded(finalization: Finalization | undefined): void {
      endProviderSpan(describeFinished ?? ((span) => span.setAttribute('minichat.provider.aborted', true)));
      metrics.streamsActive.add(-1);
      const result = resultOf(finalization);
      metrics.streamTotal.add(1, { result });
      // Counts and codes only: the text of the turn never goes into a log line.
      const outcome = finalization?.isWinner ? finalization.outcome : undefined;
      const errorCode = finalization?.isWinner === false ? finalization.errorCode : outcome?.state === 'failed' ? outcome.code : undefined;
      logger.info(
        {
          result,
          error_code: errorCode,
          ended_by: finalization ? (finalization.isWinner ? 'stream' : 'other') : 'unknown',
          input_tokens: outcome?.usage.inputTokens,
          output_tokens: outcome?.usage.outputTokens,
          duration_ms: Date.now() - turn.startedAt.getTime(),
        },
        'turn stream ended',
      );
    },
  };
}

function resultOf(finalization: Finalization | undefined): StreamResult {
  if (!finalization) return 'failed';
  const state = finalization.isWinner ? finalization.outcome.state : finalization.state;
  return state === 'completed' || state === 'cancelled' ? state : 'failed';
}
