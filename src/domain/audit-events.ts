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

/** What the terminal event of a turn reports (turn_completed / turn_failed / turn_cancelled). */
export type TurnTerminalFacts = {
  readonly turnId: string;
  readonly requestId: string;
  readonly model: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  /** Milliseconds from the turn's start to the first token (absent when none arrived) and to its end. */
  readonly latencyMs: { readonly ttft?: number; readonly total: number };
};

export type TurnTerminalEvent = AuditEventCommon & {
  readonly event_type: 'turn_completed' | 'turn_failed' | 'turn_cancelled';
  readonly turn_id: string;
  readonly request_id: string;
  readonly model: string;
  readonly usage: { readonly input_tokens: number; readonly output_tokens: number };
  readonly latency_ms: { readonly ttft?: number; readonly total: number };
  readonly finish_reason?: string;
  readonly error_code?: string;
};

/** The one audit event of a turn's end, written by the finalization that won the CAS. */
export function turnTerminalEvent(options: {
  eventId: string;
  occurredAt: Date;
  chatId: string;
  actor: EventActor;
  facts: TurnTerminalFacts;
  end: { state: 'completed'; finishReason: string } | { state: 'failed'; errorCode: string } | { state: 'cancelled' };
}): TurnTerminalEvent {
  const eventType = `turn_${options.end.state}` as const;
  const { facts } = options;
  return {
    ...commonEventFields({ ...options, eventType }),
    event_type: eventType,
    turn_id: facts.turnId,
    request_id: facts.requestId,
    model: facts.model,
    usage: { input_tokens: facts.usage.inputTokens, output_tokens: facts.usage.outputTokens },
    latency_ms: facts.latencyMs.ttft === undefined ? { total: facts.latencyMs.total } : { ttft: facts.latencyMs.ttft, total: facts.latencyMs.total },
    ...(options.end.state === 'completed' ? { finish_reason: options.end.finishReason } : {}),
    ...(options.end.state === 'failed' ? { error_code: options.end.errorCode } : {}),
  };
}

export type TurnReplacedEvent = AuditEventCommon & {
  readonly event_type: 'turn_retry' | 'turn_edit';
  readonly turn_id: string;
  readonly original_request_id: string;
  readonly new_request_id: string;
  readonly new_turn_id: string;
};

/** Written by the Retry/Edit transaction: which turn was replaced by which. */
export function turnReplacedEvent(options: {
  eventId: string;
  occurredAt: Date;
  chatId: string;
  actor: EventActor;
  kind: 'retry' | 'edit';
  oldTurn: { turnId: string; requestId: string };
  newTurn: { turnId: string; requestId: string };
}): TurnReplacedEvent {
  const eventType = options.kind === 'retry' ? 'turn_retry' : 'turn_edit';
  return {
    ...commonEventFields({ ...options, eventType }),
    event_type: eventType,
    turn_id: options.oldTurn.turnId,
    original_request_id: options.oldTurn.requestId,
    new_request_id: options.newTurn.requestId,
    new_turn_id: options.newTurn.turnId,
  };
}

export type TurnDeleteEvent = AuditEventCommon & { readonly event_type: 'turn_delete'; readonly turn_id: string; readonly request_id: string };

/** Written by the Delete transaction. */
export function turnDeleteEvent(options: { eventId: string; occurredAt: Date; chatId: string; actor: EventActor; turn: { turnId: string; requestId: string } }): TurnDeleteEvent {
  return {
    ...commonEventFields({ ...options, eventType: 'turn_delete' }),
    event_type: 'turn_delete',
    turn_id: options.turn.turnId,
    request_id: options.turn.requestId,
  };
}

/** The outbox row of any event built here. */
export function outboxEventOf(event: AuditEventCommon) {
  return { eventId: event.event_id, eventType: event.event_type, tenantId: event.tenant_id, chatId: event.chat_id, traceId: event.trace_id, payload: { ...event } };
}
