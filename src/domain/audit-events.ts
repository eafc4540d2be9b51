/**
 * Audit events (audit-and-relay.md): the JSON our consumers read from Kafka. Built here as plain
 * data; written to the outbox in the same transaction as the change they describe.
 */
export type RequesterType = 'user' | 'system';

/** Fields every event carries. `trace_id` is omitted when the change had no trace. */
export type AuditEventCommon = {
  readonly event_id: string;
  readonly event_type: string;
  readonly schema_version: 1;
  readonly occurred_at: string;
  readonly tenant_id: string;
  readonly chat_id: string;
  readonly requester_type: RequesterType;
  readonly actor_user_id: string;
  readonly trace_id?: string;
};

/** Who caused an event, and in which trace. */
export type EventActor = {
  readonly tenantId: string;
  readonly userId: string;
  readonly requesterType: RequesterType;
  readonly traceId?: string;
};

export function commonEventFields(options: {
  eventId: string;
  eventType: string;
  occurredAt: Date;
  chatId: string;
  actor: EventActor;
}): AuditEventCommon {
  return {
    event_id: options.eventId,
    event_type: options.eventType,
    schema_version: 1,
    occurred_at: options.occurredAt.toISOString(),
    tenant_id: options.actor.tenantId,
    chat_id: options.chatId,
    requester_type: options.actor.requesterType,
    actor_user_id: options.actor.userId,
    ...(options.actor.traceId ? { trace_id: options.actor.traceId } : {}),
  };
}

export type ChatDeletedEvent = AuditEventCommon & { readonly event_type: 'chat_deleted' };

export function chatDeletedEvent(options: { eventId: string; occurredAt: Date; chatId: string; actor: EventActor }): ChatDeletedEvent {
  return { ...commonEventFields({ ...options, eventType: 'chat_deleted' }), event_type: 'chat_deleted' };
}
