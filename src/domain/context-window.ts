import { estimateTokens } from './turn.ts';

/** One message of model context, oldest first. */
export type ContextMessage = { readonly role: 'system' | 'user' | 'assistant'; readonly content: string };

/** Per-message framing tokens (role markers) that chat formats add around each message. */
const tokensPerMessage = 4;

function cost(message: ContextMessage): number {
  return estimateTokens(message.content) + tokensPerMessage;
}

/**
 * Builds the context of one turn from its snapshot (turns.md, Generate step 6): the system prompt,
 * then as much history as fits — newest first, so the oldest is dropped — then the current message
 * with its text attachments. `undefined` when the system prompt and the current message alone do
 * not fit the budget (`context_length_exceeded`).
 */
export function assembleContext(options: {
  systemPrompt: string;
  /** Live history before the snapshot boundary, NEWEST first. */
  historyNewestFirst: readonly ContextMessage[];
  currentMessage: string;
  textAttachments: readonly { filename: string; text: string }[];
  budgetTokens: number;
}): ContextMessage[] | undefined {
  const system: ContextMessage = { role: 'system', content: options.systemPrompt };
  const attachmentsText = options.textAttachments.map((file) => `\n\n--- ${file.filename} ---\n${file.text}`).join('');
  const current: ContextMessage = { role: 'user', content: `${options.currentMessage}${attachmentsText}` };
  let remaining = options.budgetTokens - cost(system) - cost(current);
  if (remaining < 0) return undefined;
  const history: ContextMessage[] = [];
  for (const message of options.historyNewestFirst) {
    remaining -= cost(message);
    if (remaining < 0) break;
    history.push(message);
  }
  return [system, ...history.reverse(), current];
}
