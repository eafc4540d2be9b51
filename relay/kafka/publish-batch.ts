import type { ClaimedEvent } from '../sql/claim-batch.ts';
import type { PublishFailure } from '../sql/schedule-retry.ts';
import { auditRecordOf } from './audit-record.ts';
import type { KafkaPublisher } from './kafka-publisher.ts';

/** What became of a claimed batch; every claimed event is in exactly one of the three lists. */
export type PublishOutcome = {
  /** Acknowledged by the broker: to be marked published. */
  readonly published: ClaimedEvent[];
  /** The first unacknowledged event of each affected chat: its attempt is counted. */
  readonly failures: Array<PublishFailure & { readonly event: ClaimedEvent }>;
  /** Events behind a failure in their chat, never sent this time: released untouched. */
  readonly unsent: ClaimedEvent[];
};

// Error types with which the broker refuses the records themselves (kafkajs protocol error
// types). Sending them again cannot succeed, so they count towards the dead letter; anything
// else (broker down, leader moving, timeouts, authorization) is retried without end.
const refusals = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/**
 * Publishes a claimed batch in one `send` (one produce request per broker). When the broker
 * refuses a record, the batch is sent again chat by chat and, in a refused chat, event by event,
 * so the refusal is pinned on the one event that caused it: the other chats are published, the
 * refused chat keeps the events before the culprit, and only the culprit's chat waits. Never
 * rejects: failures are part of the outcome.
 */
export async function publishBatch(publisher: KafkaPublisher, events: readonly ClaimedEvent[]): Promise<PublishOutcome> {
  try {
    await publisher.send(events.map(auditRecordOf));
    return { published: [...events], failures: [], unsent: [] };
  } catch (error) {
    if (!isRefusal(error)) return failAllChats(events, error);
    return publishChatByChat(publisher, events);
  }
}

async function publishChatByChat(publisher: KafkaPublisher, events: readonly ClaimedEvent[]): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { published: [], failures: [], unsent: [] };
  const chats = [...groupByChat(events).values()];
  for (const [index, chatEvents] of chats.entries()) {
    try {
      await publisher.send(chatEvents.map(auditRecordOf));
      outcome.published.push(...chatEvents);
    } catch (error) {
      if (!isRefusal(error)) {
        // Kafka went away in the middle: this chat and every chat not yet tried wait alike.
        const rest = failAllChats(chats.slice(index).flat(), error);
        return { published: outcome.published, failures: [...outcome.failures, ...rest.failures], unsent: [...outcome.unsent, ...rest.unsent] };
      }
      const chatOutcome = await publishOneByOne(publisher, chatEvents);
      outcome.published.push(...chatOutcome.published);
      outcome.failures.push(...chatOutcome.failures);
      outcome.unsent.push(...chatOutcome.unsent);
    }
  }
  return outcome;
}

async function publishOneByOne(publisher: KafkaPublisher, chatEvents: readonly ClaimedEvent[]): Promise<PublishOutcome> {
  for (const [index, event] of chatEvents.entries()) {
    try {
      await publisher.send([auditRecordOf(event)]);
    } catch (error) {
      return {
        published: chatEvents.slice(0, index),
        failures: [{ id: event.id, event, error: describeError(error), isPermanent: isRefusal(error) }],
        unsent: chatEvents.slice(index + 1),
      };
    }
  }
  return { published: [...chatEvents], failures: [], unsent: [] };
}

function failAllChats(events: readonly ClaimedEvent[], error: unknown): PublishOutcome {
  const outcome: PublishOutcome = { published: [], failures: [], unsent: [] };
  for (const [head, ...rest] of groupByChat(events).values()) {
    outcome.failures.push({ id: head!.id, event: head!, error: describeError(error), isPermanent: false });
    outcome.unsent.push(...rest);
  }
  return outcome;
}

function groupByChat(events: readonly ClaimedEvent[]): Map<string, ClaimedEvent[]> {
  const chats = new Map<string, ClaimedEvent[]>();
  for (const event of events) {
    const chat = chats.get(event.chatId);
    if (chat) chat.push(event);
    else chats.set(event.chatId, [event]);
  }
  return chats;
}

/** Whether `error` (or an error it wraps) is the broker refusing the records themselves. */
export function isRefusal(error: unknown): boolean {
  let depth = 0;
  for (let cause: unknown = error; cause instanceof Error && depth < 8; cause = cause.cause, depth += 1) {
    if ('type' in cause && typeof cause.type === 'string' && refusals.has(cause.type)) return true;
  }
  return false;
}

/** `Name [kafka error type]: message` of the error and of what it wraps, for `last_error` and the logs. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let cause: unknown = error; cause instanceof Error && parts.length < 4; cause = cause.cause) {
    const type = 'type' in cause && typeof cause.type === 'string' ? ` ${cause.type}` : '';
    parts.push(`${cause.name}${type}: ${cause.message}`);
  }
  return parts.length > 0 ? parts.join(' <- ') : String(error);
}
