import type { Interceptor } from '@connectrpc/connect';
import { TurnError, type TurnErrorReason } from '../../domain/errors.ts';
import type { MutationOp, MutationResult, ServiceMetrics } from '../../telemetry/metrics.ts';

const opByMethod: Record<string, MutationOp> = { Retry: 'retry', Edit: 'edit', Delete: 'delete' };

const resultByReason: Partial<Record<TurnErrorReason, MutationResult>> = {
  NOT_LATEST_TURN: 'not_latest',
  INVALID_TURN_STATE: 'invalid_state',
  FORBIDDEN: 'forbidden',
  UNAUTHENTICATED: 'forbidden',
  GENERATION_IN_PROGRESS: 'generation_in_progress',
  CHAT_NOT_FOUND: 'not_found',
  TURN_NOT_FOUND: 'not_found',
};

function resultOf(error: unknown): MutationResult {
  return error instanceof TurnError ? (resultByReason[error.reason] ?? 'error') : 'error';
}

/**
 * Counts every Retry, Edit and Delete by outcome and times it, authorization failures included
 * (it sits outside the auth interceptor). A Retry or Edit counts as `ok` once its mutation
 * committed, i.e. when `started` is sent; the stream that follows is measured elsewhere.
 */
export function mutationMetricsInterceptor(metrics: ServiceMetrics): Interceptor {
  return (next) => async (req) => {
    const op = req.service.typeName === 'minichat.v1.TurnService' ? opByMethod[req.method.name] : undefined;
    if (!op) return next(req);
    const startedAt = performance.now();
    let isRecorded = false;
    const record = (result: MutationResult) => {
      if (isRecorded) return;
      isRecorded = true;
      metrics.turnMutationTotal.add(1, { op, result });
      metrics.turnMutationLatencyMs.record(performance.now() - startedAt, { op });
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        record('ok');
        return res;
      }
      return { ...res, message: recordOnFirstMessage(res.message, record) };
    } catch (error) {
      record(resultOf(error));
      throw error;
    }
  };
}

async function* recordOnFirstMessage<T>(messages: AsyncIterable<T>, record: (result: MutationResult) => void): AsyncIterable<T> {
  try {
    for await (const message of messages) {
      record('ok');
      yield message;
    }
  } catch (error) {
    record(resultOf(error));
    throw error;
  }
}
