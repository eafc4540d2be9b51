import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Message } from '../db/entities/message.entity.ts';
import { findTextAttachmentsOfMessage } from '../db/repositories/attachment.repository.ts';
import { listHistoryNewestFirst } from '../db/repositories/message.repository.ts';
import { assembleContext, type ContextMessage } from '../domain/context-window.ts';
import { estimateTokens } from '../domain/turn.ts';
import type { StartedTurn } from './started-turn.ts';

/** History is read newest first in pages of this many messages, until the budget is used. */
const historyPageSize = 500;

/**
 * Reads the turn's snapshot (live history up to the boundary, the user message's text attachments)
 * outside any transaction and fits it into the model's budget. `undefined` when the current
 * message alone is too big.
 */
export async function assembleTurnContext(orm: MikroORM, turn: StartedTurn, systemPrompt: string): Promise<ContextMessage[] | undefined> {
  const em = orm.em.fork();
  const budgetTokens = turn.model.contextWindowTokens - turn.model.maxOutputTokens;
  const history = await readHistoryWithinBudget(em, turn, budgetTokens);
  const attachments = turn.hasAttachments ? await findTextAttachmentsOfMessage(em, { tenantId: turn.tenantId, messageId: turn.userMessageId }) : [];
  return assembleContext({
    systemPrompt,
    historyNewestFirst: history.map((message) => ({ role: message.role, content: message.content })),
    currentMessage: turn.content,
    textAttachments: attachments.map((file) => ({ filename: file.filename, text: file.content.toString('utf8') })),
    budgetTokens,
  });
}

/**
 * The live history up to the turn's boundary, newest first, as far back as the budget could reach:
 * page after page until the pages hold more tokens than the budget, or the chat's start.
 * `assembleContext` then keeps what fits.
 */
async function readHistoryWithinBudget(em: EntityManager, turn: StartedTurn, budgetTokens: number): Promise<Message[]> {
  const history: Message[] = [];
  let boundary = turn.boundary;
  let tokens = 0;
  while (boundary && tokens <= budgetTokens) {
    const page = await listHistoryNewestFirst(em, { tenantId: turn.tenantId, chatId: turn.chatId, boundary, limit: historyPageSize });
    // The boundary is inclusive: after the first page it is the last message already read.
    const lastRead = history.at(-1)?.id;
    const fresh = page.filter((message) => message.id !== lastRead);
    history.push(...fresh);
    tokens += fresh.reduce((sum, message) => sum + estimateTokens(message.content), 0);
    const oldest = page.at(-1);
    boundary = page.length === historyPageSize && oldest ? { createdAt: oldest.createdAt, id: oldest.id } : null;
  }
  return history;
}
