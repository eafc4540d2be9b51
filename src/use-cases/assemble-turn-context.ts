import type { MikroORM } from '@mikro-orm/postgresql';
import { findTextAttachmentsOfMessage } from '../db/repositories/attachment.repository.ts';
import { listHistoryNewestFirst } from '../db/repositories/message.repository.ts';
import { assembleContext, type ContextMessage } from '../domain/context-window.ts';
import type { StartedTurn } from './started-turn.ts';

/** More history than any context window holds in practice; the budget trims it further. */
const maxHistoryMessages = 500;

/**
 * Reads the turn's snapshot (live history up to the boundary, the user message's text attachments)
 * outside any transaction and fits it into the model's budget. `undefined` when the current
 * message alone is too big.
 */
export async function assembleTurnContext(orm: MikroORM, turn: StartedTurn, systemPrompt: string): Promise<ContextMessage[] | undefined> {
  const em = orm.em.fork();
  const history = turn.boundary
    ? await listHistoryNewestFirst(em, { tenantId: turn.tenantId, chatId: turn.chatId, boundary: turn.boundary, limit: maxHistoryMessages })
    : [];
  const attachments = turn.hasAttachments ? await findTextAttachmentsOfMessage(em, { tenantId: turn.tenantId, messageId: turn.userMessageId }) : [];
  return assembleContext({
    systemPrompt,
    historyNewestFirst: history.map((message) => ({ role: message.role, content: message.content })),
    currentMessage: turn.content,
    textAttachments: attachments.map((file) => ({ filename: file.filename, text: file.content.toString('utf8') })),
    budgetTokens: turn.model.contextWindowTokens - turn.model.maxOutputTokens,
  });
}
