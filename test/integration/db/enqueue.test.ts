import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation } from '../../../src/db/database-errors.ts';
import { runInTransaction } from '../../../src/db/transaction.ts';
import { enqueue, type OutboxEvent } from '../../../src/outbox/enqueue.ts';
import { OUTBOX_TABLE, outboxColumns } from '../../../src/outbox/outbox-schema.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

function anEvent(overrides: Partial<OutboxEvent> = {}): OutboxEvent {
  const chatId = randomUUID();
  return {
    eventId: randomUUID(),
    eventType: 'chat_deleted',
    tenantId: randomUUID(),
    chatId,
    payload: { event_type: 'chat_deleted', chat_id: chatId, schema_version: 1 },
    ...overrides,
  };
}

// Read back through the names of outbox-schema.ts, as the relay will.
async function outboxRowsOf(eventId: string): Promise<Array<Record<string, unknown>>> {
  const c = outboxColumns;
  return database.orm.em.fork().execute(
    `select ${c.id}, ${c.eventType}, ${c.tenantId}, ${c.chatId}, ${c.payload}, ${c.traceId}, ${c.attempts},
            ${c.publishedAt}, ${c.deadLetteredAt}, ${c.createdAt} <= ${c.nextAttemptAt} as due
       from ${OUTBOX_TABLE} where ${c.eventId} = ?`,
    [eventId],
  );
}

describe('enqueue', () => {
  it('writes the event as an unpublished outbox row when the transaction commits', async () => {
    const event = anEvent({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });

    await runInTransaction(database.orm.em, (tx) => enqueue(tx, event));

    expect(await outboxRowsOf(event.eventId)).toEqual([
      {
        id: expect.any(String),
        event_type: event.eventType,
        tenant_id: event.tenantId,
        chat_id: event.chatId,
        payload: event.payload,
        trace_id: event.traceId,
        attempts: 0,
        published_at: null,
        dead_lettered_at: null,
        due: true,
      },
    ]);
  });

  it('stores no trace id for an event that has none', async () => {
    const event = anEvent();

    await runInTransaction(database.orm.em, (tx) => enqueue(tx, event));

    expect(await outboxRowsOf(event.eventId)).toEqual([expect.objectContaining({ trace_id: null })]);
  });

  it('stores the payload exactly, quotes, question marks, backslashes and non-ASCII text included', async () => {
    const payload = { text: `it's "quoted"? \\ back\\slash $1 ?? — ünïcødé 🙂`, nested: { list: [1, null, true] } };
    const event = anEvent({ payload });

    await runInTransaction(database.orm.em, (tx) => enqueue(tx, event));

    expect(await outboxRowsOf(event.eventId)).toEqual([expect.objectContaining({ payload })]);
  });

  it('leaves no row when the transaction rolls back', async () => {
    const event = anEvent();
    const failure = new Error('the change failed after the event was enqueued');

    const outcome = runInTransaction(database.orm.em, async (tx) => {
      await enqueue(tx, event);
      throw failure;
    });

    await expect(outcome).rejects.toBe(failure);
    expect(await outboxRowsOf(event.eventId)).toEqual([]);
  });

  it('refuses the same event id twice, so an event is never stored twice', async () => {
    const event = anEvent();
    await runInTransaction(database.orm.em, (tx) => enqueue(tx, event));

    const error = await runInTransaction(database.orm.em, (tx) => enqueue(tx, event)).catch((e: unknown) => e);

    expect(isUniqueViolation(error, 'outbox_event_id_unique')).toBe(true);
  });
});
