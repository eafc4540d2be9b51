import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chatDeletedEvent,
  outboxEventOf,
  turnDeleteEvent,
  turnReplacedEvent,
  turnTerminalEvent,
  type EventActor,
  type TurnTerminalFacts,
} from '../../../src/domain/audit-events.ts';
import { expectValidAuditEvent } from '../../support/audit-events.ts';
import { aTopicName, readTopic } from '../../support/kafka.ts';
import { aTraceId, enqueueInOneTransaction } from '../../support/outbox-events.ts';
import { scrapeMetrics, startTestRelay, waitUntilReady } from '../../support/relay.ts';
import { createRelayTestDatabase, type RelayTestDatabase } from '../../support/relay-database.ts';

let database: RelayTestDatabase;

beforeAll(async () => {
  database = await createRelayTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** One event of every type the service writes, all in one chat, as the use cases build them. */
function oneEventOfEveryType(chatId: string) {
  const actor: EventActor = { tenantId: randomUUID(), userId: randomUUID(), requesterType: 'user', traceId: aTraceId() };
  const { traceId: _traceId, ...untraced } = actor;
  const system: EventActor = { ...untraced, requesterType: 'system' };
  const common = { occurredAt: new Date(), chatId };
  const facts: TurnTerminalFacts = { turnId: randomUUID(), requestId: randomUUID(), model: 'echo', usage: { inputTokens: 4, outputTokens: 9 }, latencyMs: { ttft: 12, total: 80 } };
  const oldTurn = { turnId: facts.turnId, requestId: facts.requestId };
  const newTurn = () => ({ turnId: randomUUID(), requestId: randomUUID() });
  return [
    turnTerminalEvent({ ...common, eventId: randomUUID(), actor, facts, end: { state: 'completed', finishReason: 'stop' } }),
    turnTerminalEvent({ ...common, eventId: randomUUID(), actor: system, facts, end: { state: 'failed', errorCode: 'orphan_timeout' } }),
    turnTerminalEvent({ ...common, eventId: randomUUID(), actor, facts: { ...facts, latencyMs: { total: 5 } }, end: { state: 'cancelled' } }),
    turnReplacedEvent({ ...common, eventId: randomUUID(), actor, kind: 'retry', oldTurn, newTurn: newTurn() }),
    turnReplacedEvent({ ...common, eventId: randomUUID(), actor, kind: 'edit', oldTurn, newTurn: newTurn() }),
    turnDeleteEvent({ ...common, eventId: randomUUID(), actor, turn: oldTurn }),
    chatDeletedEvent({ ...common, eventId: randomUUID(), actor }),
  ];
}

describe('relay: the Kafka record of each audit event type', () => {
  it('publishes every event type with key chat_id, the spec headers and the event JSON unchanged, and counts them in its metrics', async () => {
    const chatId = randomUUID();
    const events = oneEventOfEveryType(chatId);
    await enqueueInOneTransaction(database.orm, events.map(outboxEventOf));
    const topic = aTopicName();
    const relay = await startTestRelay({ databaseUrl: database.databaseUrl, topic });
    await waitUntilReady(relay);

    const records = await readTopic(topic, { count: events.length, timeoutMs: 30_000 });
    const metrics = await scrapeMetrics(relay);
    await relay.stop();

    expect(records.map((record) => record.headers['event-type'])).toEqual([
      'turn_completed', 'turn_failed', 'turn_cancelled', 'turn_retry', 'turn_edit', 'turn_delete', 'chat_deleted',
    ]);
    for (const [index, record] of records.entries()) {
      const event = events[index]!;
      const value: unknown = JSON.parse(record.value!);
      expectValidAuditEvent(value);
      expect(value).toEqual(event);
      expect(record.key).toBe(chatId);
      const traceparent = event.trace_id === undefined ? {} : { traceparent: expect.stringMatching(new RegExp(`^00-${event.trace_id}-[0-9a-f]{16}-01$`)) };
      expect(record.headers).toEqual({
        'event-id': event.event_id,
        'event-type': event.event_type,
        'tenant-id': event.tenant_id,
        'content-type': 'application/json',
        ...traceparent,
      });
    }
    expect(records.filter((record) => record.headers['traceparent'] === undefined).map((record) => record.headers['event-type'])).toEqual(['turn_failed']);
    expect(metrics).toMatch(/^mini_chat_outbox_published_total 7$/m);
    expect(metrics).toMatch(/^mini_chat_outbox_commit_to_publish_ms_count 7$/m);
    for (const name of ['mini_chat_outbox_backlog', 'mini_chat_outbox_oldest_unpublished_age_seconds', 'mini_chat_outbox_dead_letters']) {
      expect(metrics).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
  });
});
