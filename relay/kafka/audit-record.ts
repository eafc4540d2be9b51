import type { Message } from 'kafkajs';
import { EVENT_CONTENT_TYPE, kafkaHeaders } from '../../src/outbox/outbox-schema.ts';
import type { ClaimedEvent } from '../sql/claim-batch.ts';

const traceIdPattern = /^(?!0{32})[0-9a-f]{32}$/;

/**
 * The Kafka record of one audit event (audit-and-relay.md, "Kafka record"): key `chat_id`, so a
 * chat stays in one partition; the stored event JSON as the value; the headers consumers filter
 * and dedupe on without parsing the value.
 */
export function auditRecordOf(event: ClaimedEvent): Message {
  const headers: Record<string, string> = {
    [kafkaHeaders.eventId]: event.eventId,
    [kafkaHeaders.eventType]: event.eventType,
    [kafkaHeaders.tenantId]: event.tenantId,
    [kafkaHeaders.contentType]: EVENT_CONTENT_TYPE,
  };
  if (event.traceId !== null && traceIdPattern.test(event.traceId)) {
    headers[kafkaHeaders.traceparent] = traceparentOf(event.traceId, event.eventId);
  }
  return { key: event.chatId, value: event.payload, headers };
}

// W3C trace context: version 00, the event's trace, a span id and the "sampled" flag. The span id
// comes from the event id, so a re-published duplicate carries exactly the same headers.
function traceparentOf(traceId: string, eventId: string): string {
  const spanId = eventId.replaceAll('-', '').slice(0, 16).toLowerCase();
  return `00-${traceId}-${/^0+$/.test(spanId) ? '0000000000000001' : spanId}-01`;
}
