import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLockTimeout } from '../../../src/db/database-errors.ts';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import { lockChatForUpdate } from '../../../src/db/repositories/chat.repository.ts';
import { runInTransaction } from '../../../src/db/transaction.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { aChatRow } from '../../support/entity-rows.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

async function lockTimeoutSetting(): Promise<string | undefined> {
  const rows = await database.orm.em.fork().execute<Array<{ lock_timeout: string }>>('show lock_timeout');
  return rows[0]?.lock_timeout;
}

describe('runInTransaction', () => {
  it('commits what the function changed and returns its result', async () => {
    const chat = aChatRow();

    const result = await runInTransaction(database.orm.em, async (tx) => {
      tx.create(ChatSchema, chat);
      return 'done';
    });

    expect(result).toBe('done');
    expect(await database.orm.em.fork().findOne(ChatSchema, chat.id)).not.toBeNull();
  });

  it('rolls back everything, flushed or not, when the function throws', async () => {
    const [flushed, pending] = [aChatRow(), aChatRow()];

    const outcome = runInTransaction(database.orm.em, async (tx) => {
      await tx.insert(ChatSchema, flushed);
      tx.create(ChatSchema, pending);
      throw new Error('boom');
    });

    await expect(outcome).rejects.toThrow('boom');
    expect(await database.orm.em.fork().find(ChatSchema, { id: { $in: [flushed.id, pending.id] } })).toEqual([]);
  });

  it('waits at most 5 s for a lock, inside a transaction and outside one', async () => {
    const inside = await runInTransaction(database.orm.em, async (tx) => {
      const rows = await tx.execute<Array<{ lock_timeout: string }>>('show lock_timeout');
      return rows[0]?.lock_timeout;
    });

    expect(inside).toBe('5s');
    expect(await lockTimeoutSetting()).toBe('5s');
  });

  it('reports a lock wait that ran out as a lock timeout', async () => {
    const chat = aChatRow();
    await database.orm.em.fork().insert(ChatSchema, chat);
    const owner = { tenantId: chat.tenantId, userId: chat.userId };
    const lockHeld = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const holder = runInTransaction(database.orm.em, async (tx) => {
      await lockChatForUpdate(tx, owner, chat.id);
      lockHeld.resolve();
      await release.promise;
    });
    await lockHeld.promise;

    const error = await runInTransaction(database.orm.em, async (tx) => {
      // a short wait instead of the 5 s default keeps the test fast; the failure is the same
      await tx.execute(`set local lock_timeout = '50ms'`);
      return lockChatForUpdate(tx, owner, chat.id);
    }).catch((e: unknown) => e);
    release.resolve();
    await holder;

    expect(isLockTimeout(error)).toBe(true);
  });

  it("works on a fork: the entities it loads are not in the caller's identity map", async () => {
    const chat = aChatRow();
    await database.orm.em.fork().insert(ChatSchema, chat);
    const callerEm = database.orm.em.fork();

    await runInTransaction(callerEm, (tx) => tx.findOne(ChatSchema, chat.id));

    expect(callerEm.getUnitOfWork().getIdentityMap().values()).toEqual([]);
  });
});
