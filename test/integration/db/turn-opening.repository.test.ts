import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachmentSchema } from '../../../src/db/entities/attachment.entity.ts';
import { ChatSchema } from '../../../src/db/entities/chat.entity.ts';
import { MessageAttachmentSchema } from '../../../src/db/entities/message-attachment.entity.ts';
import { MessageSchema } from '../../../src/db/entities/message.entity.ts';
import { TurnSchema } from '../../../src/db/entities/turn.entity.ts';
import { openTurnUnlessRefused, type TurnOpening } from '../../../src/db/repositories/turn-opening.repository.ts';
import { runInTransaction } from '../../../src/db/transaction.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { aChatRow, aCompletedTurnRow, aMessageRow, anAttachmentRow, aTurnRow } from '../../support/entity-rows.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

function freshEm(): EntityManager {
  return database.orm.em.fork();
}

async function insertChat(overrides: Partial<ReturnType<typeof aChatRow>> = {}) {
  const chat = aChatRow({ updatedAt: at(0), ...overrides });
  await freshEm().insert(ChatSchema, chat);
  return chat;
}

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

function anOpening(chat: ReturnType<typeof aChatRow>, overrides: Partial<TurnOpening> = {}): TurnOpening {
  return {
    tenantId: chat.tenantId,
    chatId: chat.id,
    requestId: randomUUID(),
    turnId: randomUUID(),
    userMessageId: randomUUID(),
    content: 'hello',
    attachmentIds: [],
    requesterType: 'user',
    requesterUserId: chat.userId,
    effectiveModel: 'echo',
    webSearchEnabled: true,
    now: at(30),
    ...overrides,
  };
}

function open(opening: TurnOpening) {
  return runInTransaction(database.orm.em, (tx) => openTurnUnlessRefused(tx, opening));
}

async function writtenFor(chat: { id: string }) {
  const em = freshEm();
  return {
    turns: await em.find(TurnSchema, { chatId: chat.id, state: 'running' }),
    messages: await em.find(MessageSchema, { chatId: chat.id, role: 'user', content: 'hello' }),
    links: await em.find(MessageAttachmentSchema, { chatId: chat.id }, { orderBy: { createdAt: 'asc' } }),
    chat: await em.findOneOrFail(ChatSchema, chat.id),
  };
}

describe('openTurnUnlessRefused', () => {
  it('writes the user message, its links in the given order, the running turn and the bump in one go', async () => {
    const chat = await insertChat();
    const attachments = [anAttachmentRow(chat), anAttachmentRow(chat), anAttachmentRow(chat)];
    await freshEm().insertMany(AttachmentSchema, attachments);
    const order = [attachments[2], attachments[0], attachments[1]].map((attachment) => attachment?.id ?? '');
    const opening = anOpening(chat, { attachmentIds: order });

    const result = await open(opening);

    expect(result).toEqual({ isOpened: true, boundary: null });
    const written = await writtenFor(chat);
    expect(written.turns).toMatchObject([
      { id: opening.turnId, requestId: opening.requestId, requesterUserId: chat.userId, webSearchEnabled: true, startedAt: at(30), lastProgressAt: at(30) },
    ]);
    expect(written.messages).toMatchObject([{ id: opening.userMessageId, requestId: opening.requestId, createdAt: at(30) }]);
    expect(written.links.map((link) => link.attachmentId)).toEqual(order);
    expect(written.links.every((link) => link.messageId === opening.userMessageId)).toBe(true);
    expect(written.chat.updatedAt).toEqual(at(30));
  });

  it("returns the newest live message before the turn's own as the boundary, ignoring deleted ones and other chats", async () => {
    const chat = await insertChat();
    const [tieLow, tieHigh] = [randomUUID(), randomUUID()].sort();
    await freshEm().insertMany(MessageSchema, [
      aMessageRow(chat, { createdAt: at(1) }),
      aMessageRow(chat, { id: tieLow, createdAt: at(2) }),
      aMessageRow(chat, { id: tieHigh, createdAt: at(2) }),
      aMessageRow(chat, { createdAt: at(3), deletedAt: at(4) }),
    ]);
    await freshEm().insert(MessageSchema, aMessageRow(await insertChat(), { createdAt: at(5) }));

    expect(await open(anOpening(chat))).toEqual({ isOpened: true, boundary: { createdAt: at(2), id: tieHigh } });
  });

  it('refuses a request id the chat already has, even on a deleted turn, and writes nothing', async () => {
    const chat = await insertChat();
    const used = aCompletedTurnRow(chat, { deletedAt: at(5) });
    await freshEm().insert(TurnSchema, used);

    const result = await open(anOpening(chat, { requestId: used.requestId }));

    expect(result).toEqual({ isOpened: false, isRequestIdUsed: true, isTurnRunning: false, linkableAttachmentIds: new Set() });
    expect(await writtenFor(chat)).toMatchObject({ turns: [], messages: [], links: [], chat: { updatedAt: at(0) } });
  });

  it('refuses while a live turn is running, but not because of a deleted one', async () => {
    const running = await insertChat();
    await freshEm().insert(TurnSchema, aTurnRow(running));
    const deletedRunning = await insertChat();
    await freshEm().insert(TurnSchema, aCompletedTurnRow(deletedRunning, { deletedAt: at(5) }));

    expect(await open(anOpening(running))).toMatchObject({ isOpened: false, isRequestIdUsed: false, isTurnRunning: true });
    expect(await open(anOpening(deletedRunning))).toMatchObject({ isOpened: true });
  });

  it("refuses unknown, deleted, other chats' and other uploaders' attachments, naming the linkable ones, and writes nothing", async () => {
    const chat = await insertChat();
    const otherChat = await insertChat({ tenantId: chat.tenantId, userId: chat.userId });
    const live = anAttachmentRow(chat);
    const deleted = anAttachmentRow(chat, { deletedAt: at(5) });
    const elsewhere = anAttachmentRow(otherChat);
    const foreign = anAttachmentRow(chat, { uploadedBy: randomUUID() });
    await freshEm().insertMany(AttachmentSchema, [live, deleted, elsewhere, foreign]);

    const result = await open(anOpening(chat, { attachmentIds: [live.id, randomUUID(), deleted.id, elsewhere.id, foreign.id] }));

    expect(result).toEqual({ isOpened: false, isRequestIdUsed: false, isTurnRunning: false, linkableAttachmentIds: new Set([live.id]) });
    expect(await writtenFor(chat)).toMatchObject({ turns: [], messages: [], links: [], chat: { updatedAt: at(0) } });
  });
});
