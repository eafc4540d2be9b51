import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Turn } from '../../db/entities/turn.entity.ts';
import type { FinishReason as DomainFinishReason, TurnState as DomainTurnState } from '../../domain/turn.ts';
import { UsageSchema } from '../../gen/minichat/v1/message_pb.ts';
import { FinishReason, TurnEventSchema, TurnSchema, TurnState, type Turn as TurnProto, type TurnEvent } from '../../gen/minichat/v1/turn_pb.ts';
import type { TurnStreamEvent } from '../../use-cases/turn-stream-events.ts';

const finishReasonToProto = {
  stop: FinishReason.STOP,
  length: FinishReason.LENGTH,
  content_filter: FinishReason.CONTENT_FILTER,
} satisfies Record<DomainFinishReason, FinishReason>;

const turnStateToProto = {
  running: TurnState.RUNNING,
  completed: TurnState.COMPLETED,
  failed: TurnState.FAILED,
  cancelled: TurnState.CANCELLED,
} satisfies Record<DomainTurnState, TurnState>;

/** One stream event as the `TurnEvent` the client receives, with its sequence number. */
export function toTurnEventProto(event: TurnStreamEvent, sequence: bigint): TurnEvent {
  switch (event.type) {
    case 'started':
      return create(TurnEventSchema, { sequence, event: { case: 'started', value: { ...event, replacesRequestId: event.replacesRequestId ?? '' } } });
    case 'delta':
      return create(TurnEventSchema, { sequence, event: { case: 'delta', value: { text: event.text } } });
    case 'heartbeat':
      return create(TurnEventSchema, { sequence, event: { case: 'heartbeat', value: {} } });
    case 'done':
      return create(TurnEventSchema, {
        sequence,
        event: {
          case: 'done',
          value: {
            messageId: event.messageId,
            usage: create(UsageSchema, event.usage),
            model: event.model,
            finishReason: finishReasonToProto[event.finishReason],
          },
        },
      });
    case 'failed':
      return create(TurnEventSchema, { sequence, event: { case: 'failed', value: { code: event.code, message: event.message } } });
  }
}

/**
 * Numbers the events from 1 (api.md rule 1) and converts them. `start` runs on the first pull, inside
 * this generator, so whatever it throws (request validation included) surfaces on the first pull, as
 * it did when each handler was a generator itself.
 */
export async function* toTurnEventStream(start: () => AsyncIterable<TurnStreamEvent>): AsyncGenerator<TurnEvent> {
  let sequence = 0n;
  for await (const event of start()) {
    sequence += 1n;
    yield toTurnEventProto(event, sequence);
  }
}

export function toTurnProto(turn: Turn): TurnProto {
  return create(TurnSchema, {
    turnId: turn.id,
    chatId: turn.chatId,
    requestId: turn.requestId,
    state: turnStateToProto[turn.state],
    errorCode: turn.errorCode ?? '',
    assistantMessageId: turn.assistantMessageId ?? '',
    startTime: timestampFromDate(turn.startedAt),
    completeTime: turn.completedAt ? timestampFromDate(turn.completedAt) : undefined,
    updateTime: timestampFromDate(turn.updatedAt),
    deleted: turn.deletedAt !== null,
    replacedByRequestId: turn.replacedByRequestId ?? '',
    webSearch: turn.webSearchEnabled,
  });
}
