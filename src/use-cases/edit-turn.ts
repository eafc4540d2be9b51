import type { Requester } from './chat-commands.ts';
import type { TurnAddress } from './guard-latest-turn.ts';
import type { GenerateTurnDeps } from './generate-turn.ts';
import { replaceTurn } from './replace-turn.ts';
import { streamTurn } from './stream-turn.ts';
import type { TurnStreamEvent } from './turn-stream-events.ts';

/** Edit: replaces the latest turn's user message with `content` and streams the new answer. */
export async function* editTurn(
  deps: GenerateTurnDeps,
  command: { requester: Requester; content: string } & TurnAddress,
  signal: AbortSignal,
): AsyncGenerator<TurnStreamEvent> {
  const turn = await replaceTurn(deps, { ...command, kind: 'edit', newContent: command.content }, signal);
  yield* streamTurn(deps, turn, signal);
}
