import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import {
  findChatForOwner,
  insertChat,
  listChatsForOwner,
  lockChatForUpdate,
  softDeleteChat,
} from '../../../src/db/repositories/chat.repository.ts';
import type { Owner } from '../../../src/db/repositories/owner.ts';
import { runInTransaction } from '../../../src/db/transaction.ts';
import { createTestDatabase, sessionsWaitingForLock, type TestDatabase } from '../../support/database.ts';
import { aChatRow } from '../../support/entity-rows.ts';
import { eventually } from '../../support/eventually.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

function anOwner(): Owner {
  return { tenantId: randomUUID(), userId: randomUUID() };
}

function freshEm(): EntityManager {
  return database.orm.em.fork();
}

async function insertChatRow(owner: Owner, overrides: Partial<ReturnType<typeof aChatRow>> = {}) {
  const row = aChatRow({ tenantId: owner.tenantId, userId: owner.userId, ...overrides });
  await freshEm().insert(ChatSchema, row);
  return row;
}

describe('insertChat', () => {
  it('stores a chat that its owner can read back, created and updated at the given time', async () => {
    const owner = anOwner();
    const now = new Date('2026-01-02T03:04:05.678Z');
    const id = randomUUID();

    await runInTransaction(database.orm.em, (tx) => insertChat(tx, { id, owner, title: 'Plans', model: 'echo', now }));

    expect(await findChatForOwner(freshEm(), owner, id)).toMatchObject({
      id,
      ...owner,
      title: 'Plans',
      model: 'echo',
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    });
  });
});

describe('findChatForOwner', () => {
  it("does not find another tenant's chat, even for the same user id", async () => {
    const owner = anOwner();
    const chat = await insertChatRow(owner);

    expect(await findChatForOwner(freshEm(), { tenantId: randomUUID(), userId: owner.userId }, chat.id)).toBeNull();
  });

  it("does not find another user's chat in the same tenant", async () => {
    const owner = anOwner();
    const chat = await insertChatRow(owner);

    expect(await findChatForOwner(freshEm(), { tenantId: owner.tenantId, userId: randomUUID() }, chat.id)).toBeNull();
  });

  it('does not find a deleted chat', async () => {
    const owner = anOwner();
    const chat = await insertChatRow(owner, { deletedAt: new Date() });

    expect(await findChatForOwner(freshEm(), owner, chat.id)).toBeNull();
  });
});

describe('lockChatForUpdate', () => {
  it("returns null and locks nothing for another owner's chat", async () => {
    const chat = await insertChatRow(anOwner());

    const locked = await runInTransaction(database.orm.em, (tx) => lockChatForUpdate(tx, anOwner(), chat.id));

    expect(locked).toBeNull();
  });

  it('makes a second locker wait for the first transaction and then see what it committed', async () => {
    const owner = anOwner();
    const chat = await insertChatRow(owner, { model: 'before' });
    const lockHeld = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const first = runInTransaction(database.orm.em, async (tx) => {
      const locked = await lockChatForUpdate(tx, owner, chat.id);
      lockHeld.resolve();
      await release.promise;
      if (locked) await tx.nativeUpdate(ChatSchema, { id: locked.id, tenantId: locked.tenantId }, { model: 'changed by the first' });
    });
    await lockHeld.promise;

    const second = runInTransaction(database.orm.em, (tx) => lockChatForUpdate(tx, owner, chat.id));
    await eventually(async () => expect(await sessionsWaitingForLock(database)).toBe(1), { timeoutMs: 5_000 });
    release.resolve();
    await first;

    expect((await second)?.model).toBe('changed by the first');
  });

  it('returns the row as committed, not a stale copy already loaded in the same transaction', async () => {
    const owner = anOwner();
    const chat = await insertChatRow(owner, { model: 'before' });

    const locked = await runInTransaction(database.orm.em, async (tx) => {
      await findChatForOwner(tx, owner, chat.id);
      await freshEm().nativeUpdate(ChatSchema, { id: chat.id }, { model: 'after' });
      return lockChatForUpdate(tx, owner, chat.id);
    });

    expect(locked?.model).toBe('after');
  });
});

describe('listChatsForOwner', () => {
  it("lists only the owner's live chats, most recently updated first, ties broken by greater id first", async () => {
    const owner = anOwner();
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
    const old = await insertChatRow(owner, { updatedAt: at(1) });
    const [tieLow, tieHigh] = [randomUUID(), randomUUID()].sort();
    await insertChatRow(owner, { id: tieLow, updatedAt: at(5) });
    await insertChatRow(owner, { id: tieHigh, updatedAt: at(5) });
    const newest = await insertChatRow(owner, { updatedAt: at(9) });
    await insertChatRow(owner, { updatedAt: at(7), deletedAt: at(8) });
    await insertChatRow({ tenantId: owner.tenantId, userId: randomUUID() }, { updatedAt: at(6) });

    const chats = await listChatsForOwner(freshEm(), owner, { limit: 10 });

    expect(chats.map((chat) => chat.id)).toEqual([newest.id, tieHigh, tieLow, old.id]);
  });

  it('continues strictly after the cursor, across chats updated at the same time, without repeats or gaps', async () => {
    const owner = anOwner();
    const sameTime = new Date('2026-02-01T00:00:00.000Z');
    for (let i = 0; i < 5; i++) await insertChatRow(owner, { updatedAt: i < 3 ? sameTime : new Date(sameTime.getTime() - i) });
    const everything = await listChatsForOwner(freshEm(), owner, { limit: 10 });

    const pages: string[][] = [];
    let page = await listChatsForOwner(freshEm(), owner, { limit: 2 });
    while (page.length > 0) {
      pages.push(page.map((chat) => chat.id));
      const last = page[page.length - 1] ?? expect.fail('empty page');
      page = await listChatsForOwner(freshEm(), owner, { limit: 2, after: { updatedAt: last.updatedAt, id: last.id } });
    }

    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(everything.map((chat) => chat.id));
  });
});

describe('softDeleteChat', () => {
  it('hides the chat from its owner while keeping the row with its deletion time', async () => {
    const owner = anOwner();
    const chat = await insertChatRow(owner);
    const now = new Date('2026-03-01T12:00:00.000Z');

    await runInTransaction(database.orm.em, async (tx) => {
      const locked = await lockChatForUpdate(tx, owner, chat.id);
      await softDeleteChat(tx, locked ?? expect.fail('chat not found'), now);
    });

    expect(await findChatForOwner(freshEm(), owner, chat.id)).toBeNull();
    expect(await freshEm().findOne(ChatSchema, chat.id)).toMatchObject({ deletedAt: now });
  });
});
