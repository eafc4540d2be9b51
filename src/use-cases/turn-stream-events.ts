import type { FinishReason, TurnFailureCode, Usage } from '../domain/turn.ts';

/**
 * The events of a turn stream as the use cases produce them; the API layer numbers them and turns
 * them into `TurnEvent` messages. Grammar: started (delta | heartbeat)* (done | failed).
 */
export type TurnStreamEvent =
  | {
      readonly type: 'started';
      readonly chatId: string;
      readonly requestId: string;
      readonly turnId: string;
      readonly messageId: string;
      readonly isNewTurn: boolean;
      readonly replacesRequestId?: string;
      readonly model: string;
    }
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'heartbeat' }
  | { readonly type: 'done'; readonly messageId: string; readonly usage: Usage; readonly model: string; readonly finishReason: FinishReason }
  | { readonly type: 'failed'; readonly code: TurnFailureCode; readonly message: string };
