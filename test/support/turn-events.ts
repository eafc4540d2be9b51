import type { TurnEvent } from '../../src/gen/minichat/v1/turn_pb.ts';

/** A turn event flattened for assertions: its sequence, its kind and its fields. */
export type SeenEvent = { sequence: number; kind: string; value: Record<string, unknown> };

export function seen(event: TurnEvent): SeenEvent {
  return { sequence: Number(event.sequence), kind: event.event.case ?? 'none', value: { ...(event.event.value ?? {}) } as Record<string, unknown> };
}

/** Reads a whole turn stream; the call must end with status OK. */
export async function readAll(stream: AsyncIterable<TurnEvent>): Promise<SeenEvent[]> {
  const events: SeenEvent[] = [];
  for await (const event of stream) events.push(seen(event));
  return events;
}

/** The kinds in order, with runs of heartbeats kept: e.g. ['started', 'delta', 'delta', 'done']. */
export function kinds(events: readonly SeenEvent[]): string[] {
  return events.map((event) => event.kind);
}

/** Text of all deltas, concatenated. */
export function textOf(events: readonly SeenEvent[]): string {
  return events.filter((event) => event.kind === 'delta').map((event) => String(event.value.text)).join('');
}

/** Asserts the grammar `started (delta | heartbeat)* (done | failed)` and sequence 1, 2, 3, … */
export function grammarProblems(events: readonly SeenEvent[]): string[] {
  const problems: string[] = [];
  events.forEach((event, index) => {
    if (event.sequence !== index + 1) problems.push(`event ${index} has sequence ${event.sequence}`);
  });
  const sequenceOfKinds = kinds(events).join(' ');
  if (sequenceOfKinds.match(/^started( (delta|heartbeat))* (done|failed)$/) === null) problems.push(`grammar: ${sequenceOfKinds}`);
  return problems;
}
