import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation } from '../../../src/db/database-errors.ts';
import { runInTransaction } from '../../../src/db/transaction.ts';
import { enqueue, type OutboxEvent } from '../../../src/outbox/enqueue.ts';
import { OUTBOX_NOTIFY_CHANNEL, OUTBOX_TABLE, outboxColumns } from '../../../src/outbox/outbox-schema.ts';
import { createTestDatabase, sessionsWaitingForLock, type TestDatabase } from '../../support/database.ts';
import { eventually } from '../../support/eventually.ts';

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
            ${c.chatSeq}, ${c.deadLetteredAt}, ${c.createdAt} <= ${c.nextAttemptAt} as due
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
        chat_seq: 1,
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

  it('numbers the events of each chat 1, 2, 3, … on its own', async () => {
    const chatA = anEvent().chatId;
    const chatB = anEvent().chatId;

    await runInTransaction(database.orm.em, async (tx) => {
      await enqueue(tx, anEvent({ chatId: chatA }));
      await enqueue(tx, anEvent({ chatId: chatB }));
      await enqueue(tx, anEvent({ chatId: chatA }));
    });
    await runInTransaction(database.orm.em, (tx) => enqueue(tx, anEvent({ chatId: chatA })));

    expect(await chatSeqsOf(chatA)).toEqual([1, 2, 3]);
    expect(await chatSeqsOf(chatB)).toEqual([1]);
  });

  it('makes a second transaction of the same chat wait for the first, so the chat order is the commit order', async () => {
    const chatId = anEvent().chatId;
    const first = anEvent({ chatId });
    const second = anEvent({ chatId });
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let hasFirstEnqueued!: () => void;
    const firstEnqueued = new Promise<void>((resolve) => (hasFirstEnqueued = resolve));

    const firstTx = runInTransaction(database.orm.em, async (tx) => {
      await enqueue(tx, first);
      hasFirstEnqueued();
      await firstMayCommit;
    });
    await firstEnqueued;
    const secondTx = runInTransaction(database.orm.em, (tx) => enqueue(tx, second));
    await eventually(async () => expect(await sessionsWaitingForLock(database)).toBe(1), { timeoutMs: 10_000 });
    releaseFirst();
    await Promise.all([firstTx, secondTx]);

    const rows = await database.orm.em.fork().execute<Array<{ event_id: string; chat_seq: number }>>(
      `select event_id, chat_seq from outbox where chat_id = ? order by chat_seq`,
      [chatId],
    );
    expect(rows).toEqual([
      { event_id: first.eventId, chat_seq: 1 },
      { event_id: second.eventId, chat_seq: 2 },
    ]);
  });

  it('wakes listeners with a NOTIFY on commit, and not for a rolled-back transaction', async () => {
    const listener = new pg.Client({ connectionString: database.databaseUrl });
    await listener.connect();
    const notifications: string[] = [];
    listener.on('notification', (message) => notifications.push(message.channel));
    await listener.query(`listen ${OUTBOX_NOTIFY_CHANNEL}`);
    try {
      await runInTransaction(database.orm.em, async (tx) => {
        await enqueue(tx, anEvent());
        throw new Error('rolled back');
      }).catch(() => undefined);
      await runInTransaction(database.orm.em, async (tx) => {
        await enqueue(tx, anEvent());
        await enqueue(tx, anEvent());
      });

      // Delivered in commit order: had the rollback notified, it would have arrived first.
      await eventually(() => expect(notifications).toEqual([OUTBOX_NOTIFY_CHANNEL]), { timeoutMs: 10_000 });
    } finally {
      await listener.end();
    }
  });
});

async function chatSeqsOf(chatId: string): Promise<number[]> {
  const rows = await database.orm.em.fork().execute<Array<{ chat_seq: number }>>(
    `select chat_seq from outbox where chat_id = ? order by id`,
    [chatId],
  );
  return rows.map((row) => row.chat_seq);
}
