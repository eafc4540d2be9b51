import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { messageConstraints } from '../../src/db/entities/message.entity.ts';
import { turnConstraints } from '../../src/db/entities/turn.entity.ts';
import { type AuditEventCommon, outboxEventOf, turnDeleteEvent, turnReplacedEvent } from '../../src/domain/audit-events.ts';
import { TurnError, chatNotFound } from '../../src/domain/errors.ts';
import { type OpeningRow, openTurnParams, turnOpeningResultOf } from '../../src/db/repositories/turn-opening.repository.ts';
import { baselineSql as sql, enqueueParams } from './baseline-sql.ts';
import type { SeededChat } from './seed-chats.ts';

type Row = Record<string, unknown>;

/** Runs one statement with `$n` parameters inside the open transaction. */
export type SqlClient = { query<R extends Row = Row>(text: string, values?: unknown[]): Promise<{ rows: R[] }> };

/** Runs `fn` in one transaction (begin, commit; rollback if `fn` throws). */
export type SqlTransactions = <T>(fn: (client: SqlClient) => Promise<T>) => Promise<T>;

const actorOf = (chat: SeededChat) => ({ tenantId: chat.tenantId, userId: chat.userId, requesterType: 'user' as const });

/** Delete by hand: the statements of `deleteTurn`, in its order, in one transaction. */
export async function sqlDelete(inTransaction: SqlTransactions, chat: SeededChat): Promise<void> {
  await inTransaction(async (client) => {
    const { target } = await guardLatestTurn(client, chat);
    const now = new Date();
    await client.query(sql.softDeleteTurn, [now, now, null, target['id'], chat.tenantId]);
    await client.query(sql.softDeleteMessagesOfRequest, [now, chat.tenantId, chat.chatId, chat.requestId]);
    const turn = { turnId: String(target['id']), requestId: chat.requestId };
    await enqueue(client, turnDeleteEvent({ eventId: randomUUID(), occurredAt: now, chatId: chat.chatId, actor: actorOf(chat), turn }));
  });
}

/** Retry by hand: the statements of `replaceTurn` (kind retry), in its order, in one transaction. */
export async function sqlRetry(inTransaction: SqlTransactions, chat: SeededChat): Promise<void> {
  const newRequestId = randomUUID();
  try {
    await inTransaction(async (client) => {
      const { chatRow, target } = await guardLatestTurn(client, chat);
      const scope = [chat.tenantId, chat.chatId] as const;
      const oldMessage = (await client.query<Row>(sql.findLiveUserMessage, [...scope, chat.requestId])).rows[0];
      if (oldMessage) {
        const links = await client.query(sql.findAttachmentLinks, [chat.tenantId, oldMessage['id']]);
        if (links.rows.length !== 0) throw new Error('bench: the baseline does not copy attachments; seeded chats have none');
      }
      const now = new Date();
      await client.query(sql.softDeleteTurn, [now, now, newRequestId, target['id'], chat.tenantId]);
      await client.query(sql.softDeleteMessagesOfRequest, [now, ...scope, chat.requestId]);
      const [userMessageId, newTurnId] = [randomUUID(), randomUUID()];
      const opening = {
        tenantId: chat.tenantId,
        chatId: chat.chatId,
        requestId: newRequestId,
        turnId: newTurnId,
        userMessageId,
        content: String(oldMessage?.['content'] ?? ''),
        attachmentIds: [],
        requesterType: 'user' as const,
        requesterUserId: chat.userId,
        effectiveModel: String(chatRow['model']),
        webSearchEnabled: Boolean(target['web_search_enabled']),
        now: new Date(),
      };
      const opened = turnOpeningResultOf((await client.query<OpeningRow>(sql.openTurn, openTurnParams(opening))).rows[0], opening);
      if (!opened.isOpened) throw new Error('bench: the baseline could not open the replacement turn');
      const event = turnReplacedEvent({
        eventId: randomUUID(),
        occurredAt: now,
        chatId: chat.chatId,
        actor: actorOf(chat),
        kind: 'retry',
        oldTurn: { turnId: String(target['id']), requestId: chat.requestId },
        newTurn: { turnId: newTurnId, requestId: newRequestId },
      });
      await enqueue(client, event);
    });
  } catch (error) {
    throw translateRace(error, chat.chatId);
  }
}

/** `guardLatestTurn`'s five checks with its three statements; returns the locked chat and the target turn. */
async function guardLatestTurn(client: SqlClient, chat: SeededChat): Promise<{ chatRow: Row; target: Row }> {
  const metadata = { chat_id: chat.chatId, request_id: chat.requestId };
  const chatRow = (await client.query<Row>(sql.lockChatForUpdate, [chat.chatId, chat.tenantId, chat.userId])).rows[0];
  if (!chatRow) throw chatNotFound(chat.chatId);
  const target = (await client.query<Row>(sql.findTurnByRequestId, [chat.tenantId, chat.chatId, chat.requestId])).rows[0];
  if (!target) throw new TurnError('TURN_NOT_FOUND', 'no turn with this request id', { metadata });
  if (target['requester_user_id'] !== chat.userId) throw new TurnError('FORBIDDEN', 'the turn belongs to another requester', { metadata });
  if (target['state'] === 'running') throw new TurnError('INVALID_TURN_STATE', 'the turn is still running', { metadata });
  const latest = (await client.query<Row>(sql.lockLatestLiveTurn, [chat.tenantId, chat.chatId])).rows[0];
  if (latest?.['id'] !== target['id']) throw new TurnError('NOT_LATEST_TURN', 'only the latest live turn can be changed', { metadata });
  return { chatRow, target };
}

/** `enqueue`'s one statement: number the event in its chat's outbox row, NOTIFY, insert. */
async function enqueue(client: SqlClient, event: AuditEventCommon): Promise<void> {
  await client.query(sql.enqueueOutboxEvent, enqueueParams(outboxEventOf(event)));
}

/** `runInTransaction` for `pg`, the baseline: one pooled connection, `$n` parameters. */
export function pgTransactions(pool: pg.Pool): SqlTransactions {
  return async (fn) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  };
}

/** `translateRace` by SQLSTATE and constraint name, as `pg` reports them. */
function translateRace(error: unknown, chatId: string): unknown {
  const code = Reflect.get(Object(error), 'code');
  const constraint = Reflect.get(Object(error), 'constraint');
  if (code !== '23505') return error;
  const metadata = { chat_id: chatId };
  if (constraint === turnConstraints.oneRunningPerChat) return new TurnError('GENERATION_IN_PROGRESS', 'a turn is already running', { metadata });
  if (constraint === turnConstraints.requestIdPerChat || constraint === messageConstraints.oneLivePerRole) {
    return new TurnError('REQUEST_ID_CONFLICT', 'this request id was already used', { metadata });
  }
  return error;
}
