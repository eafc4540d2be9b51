import { isMessage } from '@bufbuild/protobuf';
import type { ContextValues } from '@connectrpc/connect';
import { TurnEventSchema } from '../../gen/minichat/v1/turn_pb.ts';
import { callerKey } from '../context-keys.ts';

/** The ids that tie one call to its chat and turn, under the names logs use. */
export type CallCorrelation = {
  tenant_id?: string;
  chat_id?: string;
  request_id?: string;
  turn_id?: string;
};

/**
 * Collects a call's correlation ids as the call goes: `chat_id` and `request_id` from the request
 * (fields `chatId` / `requestId`, when the request message has them), `request_id` and `turn_id`
 * from a turn stream's `started` event (also when the server made the request id), and
 * `tenant_id` from the verified caller. Reads ids only, never content.
 */
export function createCallCorrelation(contextValues: ContextValues) {
  const ids: CallCorrelation = {};
  return {
    noteRequest(message: unknown): void {
      const chatId = stringField(message, 'chatId');
      const requestId = stringField(message, 'requestId');
      if (chatId) ids.chat_id = chatId;
      if (requestId) ids.request_id = requestId;
    },
    noteResponse(message: unknown): void {
      if (!isMessage(message, TurnEventSchema) || message.event.case !== 'started') return;
      ids.request_id = message.event.value.requestId;
      ids.turn_id = message.event.value.turnId;
    },
    /** The ids known so far; the tenant is known once the auth interceptor accepted the caller. */
    current(): CallCorrelation {
      const caller = contextValues.get(callerKey);
      return caller ? { tenant_id: caller.tenantId, ...ids } : { ...ids };
    },
  };
}

function stringField(message: unknown, name: string): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const value: unknown = Reflect.get(message, name);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
