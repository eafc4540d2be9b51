import type { Requester } from './chat-commands.ts';
import type { TurnAddress } from './guard-latest-turn.ts';
import type { GenerateTurnDeps } from './generate-turn.ts';
import { replaceTurn } from './replace-turn.ts';
import { streamTurn } from './stream-turn.ts';
import type { TurnStreamEvent } from './turn-stream-events.ts';

/** Retry: regenerates the answer of the chat's latest finished turn, streaming like Generate. */
export async function* retryTurn(deps: GenerateTurnDeps, command: { requester: Requester } & TurnAddress, signal: AbortSignal): AsyncGenerator<TurnStreamEvent> {
  const turn = await replaceTurn(deps, { ...command, kind: 'retry' }, signal);
  yield* streamTurn(deps, turn, signal);
}
